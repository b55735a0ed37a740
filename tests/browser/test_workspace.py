"""The advisor workspace in a real browser (Debian's Chromium driven by Playwright), with an
axe-core accessibility check (WCAG 2.0/2.1 A and AA) on every page."""

import csv
import io

import pytest
from sqlalchemy import create_engine, text

from bot.leads.db import make_engine, session_factory, upgrade
from bot.leads.repository import LeadRepository, confirmation_key
from bot.workspace.advisors import Advisors

from .support import assert_accessible, serve

PASSWORD = "un mot de passe solide"
# Collects what the Content-Security-Policy blocked (init scripts are not subject to it).
WATCH_CSP = """window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
  e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sample || '')));"""


def watched_page(browser, **kwargs):
    page = browser.new_page(**kwargs)
    page.add_init_script(WATCH_CSP)
    return page


def assert_no_csp_violation(page):
    assert page.evaluate("window.__csp") == [], page.url


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    from bot.settings import Settings
    from bot.workspace.web.app import create_app

    tmp = tmp_path_factory.mktemp("web")
    url = f"sqlite:///{tmp / 'leads.db'}"
    upgrade(url)
    repo = LeadRepository(session_factory(make_engine(url)))
    Advisors(repo).add("claire@sem.example", "Claire Conseil", "sem-ess", "conseiller", PASSWORD)
    people = [
        ("c1", "reprise-cooperative", "Martin", "Firminy"),
        ("c2", "competences", "Durand", "Saint-Chamond"),
        ("c3", "achats-responsables", "<b>Petit</b>", "Rive-de-Gier"),
    ]
    for conv, offer, name, commune in people:
        repo.save(
            {
                "confirmation_key": confirmation_key(conv, "m"),
                "conversation_id": conv,
                "first_name": "Léa",
                "last_name": name,
                "email": f"{conv}@example.org",
                "phone": "+33612345678",
                "commune": commune,
                "on_territory": True,
                "offer_id": offer,
                "confidence": 0.9,
                "consent_version": "v1",
                "consent_at": "2026-11-26T10:00:00+00:00",
                "project_summary": "Un projet décrit en quelques mots pour la démonstration",
            }
        )
    tracker = f"sqlite:///{tmp / 'tracker.db'}"
    engine = create_engine(tracker, future=True)
    with engine.begin() as c:
        c.execute(
            text(
                "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, "
                "type_name TEXT, timestamp FLOAT, intent_name TEXT, action_name TEXT, "
                "data TEXT)"
            )
        )
        c.execute(
            text(
                "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES "
                "('c1', 'user', 1764150000, '{\"text\": \"on veut reprendre la boîte\"}'),"
                "('c1', 'bot', 1764150001, '{\"text\": \"Je vous propose : Reprise\"}')"
            )
        )
    with (
        serve(fake_rasa()) as rasa,
        serve(
            create_app(
                Settings(
                    var_dir=tmp / "var",
                    secret_key="browser-tests",
                    secure_cookies=False,
                    tracker_store_url=tracker,
                    rasa_url=rasa,
                ),
                repository=repo,
            )
        ) as url,
    ):
        yield url


def fake_rasa():
    """Rasa's REST channel answering like the assistant: a text, buttons, an offer card."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def webhook(request):
        said = (await request.json())["message"]
        if said == "bonjour":
            return JSONResponse(
                [
                    {
                        "text": "Bonjour, je suis Boussole ESS.",
                        "buttons": [
                            {"title": "Créer une activité", "payload": "/situation_creation"}
                        ],
                    }
                ]
            )
        return JSONResponse(
            [
                {"text": "Je vous propose : Accéder aux achats socialement responsables"},
                {
                    "custom": {
                        "offer": {
                            "title": "Accéder aux achats socialement responsables",
                            "why": "Vous visez les marchés publics.",
                        }
                    }
                },
            ]
        )

    return Starlette(routes=[Route("/webhooks/rest/webhook", webhook, methods=["POST"])])


def test_an_advisor_works_a_lead_from_login_to_export(workspace, browser, tmp_path):
    page = watched_page(browser, accept_downloads=True)
    response = page.goto(f"{workspace}/conseil/")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert page.url.endswith("/conseil/connexion")
    # The workspace's style sheet applies under the policy.
    assert (
        page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor")
        == "rgb(0, 84, 107)"
    )
    assert_accessible(page)
    page.get_by_label("Adresse e-mail").fill("claire@sem.example")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{workspace}/conseil/")
    assert page.get_by_role("heading", name="Demandes de rappel").is_visible()
    assert page.locator("tbody tr").count() == 3
    assert "<b>Petit</b>" in page.locator("tbody").inner_text()  # shown as text
    assert_accessible(page)

    page.get_by_label("Offre").select_option("competences")
    page.get_by_role("button", name="Filtrer").click()
    assert page.locator("tbody tr").count() == 1
    assert "Durand" in page.locator("tbody").inner_text()

    page.goto(f"{workspace}/conseil/")
    page.get_by_role("link", name="ESS-2026-0001").click()
    assert page.get_by_role("heading", name="Demande ESS-2026-0001").is_visible()
    assert "on veut reprendre la boîte" in page.locator(".transcript").inner_text()
    assert_accessible(page)
    page.get_by_label("Nouveau statut").select_option("pris_en_charge")
    page.get_by_label("Commentaire").fill("Premier appel mardi")
    page.get_by_role("button", name="Changer le statut").click()
    assert page.get_by_role("status").inner_text() == "Modification enregistrée."
    page.get_by_label("Ajouter une note").fill("Rappeler après 14 h")
    page.get_by_role("button", name="Ajouter la note").click()
    body = page.locator("main").inner_text()
    assert "Rappeler après 14 h" in body and "Premier appel mardi" in body
    assert "Pris en charge" in body

    page.goto(f"{workspace}/conseil/?commune=Firminy")
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter ces demandes (CSV)").click()
    path = tmp_path / "export.csv"
    download.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert [(r["reference"], r["last_name"], r["status"]) for r in rows] == [
        ("ESS-2026-0001", "Martin", "pris_en_charge")
    ]

    for path in ("/conseil/chiffres", "/conseil/incompris"):
        page.goto(f"{workspace}{path}")
        assert_accessible(page)
    # The chart keeps its colours without inline styles.
    page.goto(f"{workspace}/conseil/chiffres")
    assert page.locator("figure svg path[fill='#00546b']").count() > 0
    assert_no_csp_violation(page)


def test_the_inbox_is_usable_on_a_phone(workspace, browser, tmp_path):
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(f"{workspace}/conseil/connexion")
    page.get_by_label("Adresse e-mail").fill("claire@sem.example")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{workspace}/conseil/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"horizontal scroll on a phone: {width}px"
    page.screenshot(path=str(tmp_path / "inbox-phone.png"), full_page=True)
    assert_accessible(page)


def test_the_widget_and_public_pages_work_under_the_content_security_policy(workspace, browser):
    page = watched_page(browser)
    response = page.goto(f"{workspace}/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert (
        page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor")
        == "rgb(29, 61, 71)"
    )
    launch = page.locator(".bw-launch")
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.bw-launch')).position") == "fixed"
    )
    launch.click()
    page.get_by_role("button", name="Créer une activité").click()
    page.wait_for_selector(".bw-card")
    assert page.locator(".bw-card h3").inner_text() == "Accéder aux achats socialement responsables"
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.bw-panel')).position") == "fixed"
    )
    assert_accessible(page)
    assert_no_csp_violation(page)
    page.goto(f"{workspace}/offres/competences")
    assert (
        page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor")
        == "rgb(29, 61, 71)"
    )
    assert_no_csp_violation(page)
