"""The advisor workspace over HTTP: login, organisation boundaries, CSRF, escaping, exports."""

import csv
import io
import re
from datetime import datetime, timedelta, timezone

import pytest
from starlette.testclient import TestClient

from bot.leads.db import make_engine, session_factory, upgrade
from bot.leads.repository import LeadRepository, confirmation_key
from bot.settings import Settings
from bot.workspace.advisors import Advisors
from bot.workspace.web.app import create_app

PASSWORD = "correct horse battery"


@pytest.fixture()
def repo(tmp_path):
    url = f"sqlite:///{tmp_path / 'web.db'}"
    upgrade(url)
    return LeadRepository(session_factory(make_engine(url)))


def web_settings(tmp_path, **changes) -> Settings:
    """The web app's settings in a test: plain-http cookies, its own var/ and tracker store."""
    return Settings(
        **{
            "var_dir": tmp_path / "var",
            "secret_key": "test-secret",
            "secure_cookies": False,
            "tracker_store_url": f"sqlite:///{tmp_path / 't.db'}",
            **changes,
        }
    )


@pytest.fixture()
def app(repo, tmp_path):
    advisors = Advisors(repo)
    advisors.add("claire@sem.example", "Claire", "sem-ess", "conseiller", PASSWORD)
    advisors.add("yann@unis-cite.example", "Yann", "unis-cite", "conseiller", PASSWORD)
    advisors.add("admin@sem.example", "Admin", "sem-ess", "admin", PASSWORD)
    for conv, offer, name in (
        ("c1", "reprise-cooperative", "Martin"),
        ("c2", "reve-et-realise", "Benali"),
        ("c3", "competences", "<script>alert('x')</script>"),
    ):
        repo.save(
            {
                "confirmation_key": confirmation_key(conv, "m"),
                "conversation_id": conv,
                "first_name": "Léa",
                "last_name": name,
                "email": f"{conv}@example.org",
                "commune": "Firminy",
                "on_territory": True,
                "offer_id": offer,
                "confidence": 0.9,
                "consent_version": "v1",
                "consent_at": "2026-11-26T10:00:00+00:00",
                "project_summary": '=HYPERLINK("http://evil") un projet assez long',
            }
        )
    return create_app(web_settings(tmp_path), repository=repo)


def csrf(client, path):
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).text).group(1)


def login(app, email):
    client = TestClient(app)
    token = csrf(client, "/conseil/connexion")
    response = client.post(
        "/conseil/connexion",
        data={"email": email, "password": PASSWORD, "csrf": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return client


def refs(html):
    return set(re.findall(r"ESS-\d{4}-\d{4}", html))


def test_every_page_needs_a_login(app):
    client = TestClient(app)
    for path in ("/conseil/", "/conseil/export.csv", "/conseil/demandes/ESS-2026-0001"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].endswith(
            "/conseil/connexion"
        )


def test_an_advisor_sees_only_the_leads_of_their_organisation(app):
    claire = login(app, "claire@sem.example")
    year = datetime.now().year
    assert refs(claire.get("/conseil/").text) == {f"ESS-{year}-0001", f"ESS-{year}-0003"}
    # Changing the id in the address does not open another organisation's lead.
    assert claire.get(f"/conseil/demandes/ESS-{year}-0002").status_code == 404
    yann = login(app, "yann@unis-cite.example")
    assert refs(yann.get("/conseil/").text) == {f"ESS-{year}-0002"}
    admin = login(app, "admin@sem.example")
    assert len(refs(admin.get("/conseil/").text)) == 3


def test_lead_fields_are_shown_as_text(app):
    claire = login(app, "claire@sem.example")
    html = claire.get(f"/conseil/demandes/ESS-{datetime.now().year}-0003").text
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_status_change_note_and_history(app):
    claire = login(app, "claire@sem.example")
    ref = f"ESS-{datetime.now().year}-0001"
    token = csrf(claire, f"/conseil/demandes/{ref}")
    r = claire.post(
        f"/conseil/demandes/{ref}/statut",
        data={"status": "pris_en_charge", "comment": "Appel mardi", "csrf": token},
    )
    assert r.status_code == 200 and "Modification enregistrée" in r.text
    claire.post(
        f"/conseil/demandes/{ref}/note", data={"note": "Rappeler après 14 h", "csrf": token}
    )
    html = claire.get(f"/conseil/demandes/{ref}").text
    assert "Rappeler après 14 h" in html and "Appel mardi" in html
    assert "claire@sem.example" in html and "Pris en charge" in html
    bad = claire.post(f"/conseil/demandes/{ref}/statut", data={"status": "nouveau", "csrf": token})
    assert bad.status_code == 400


def test_wrong_csrf_token_is_refused(app):
    claire = login(app, "claire@sem.example")
    ref = f"ESS-{datetime.now().year}-0001"
    r = claire.post(
        f"/conseil/demandes/{ref}/statut", data={"status": "pris_en_charge", "csrf": "forged"}
    )
    assert r.status_code == 403
    assert "Nouveau" in claire.get(f"/conseil/demandes/{ref}").text


def test_filters_and_csv_export_neutralise_formulas(app):
    admin = login(app, "admin@sem.example")
    assert refs(admin.get("/conseil/?phase=jeunesse").text) == {f"ESS-{datetime.now().year}-0002"}
    assert refs(admin.get("/conseil/?q=Benali").text) == {f"ESS-{datetime.now().year}-0002"}
    export = admin.get("/conseil/export.csv?offer=reprise-cooperative")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert [r["last_name"] for r in rows] == ["Martin"]
    assert rows[0]["project_summary"].startswith("'=")


def test_erasing_a_lead_needs_confirmation(app, repo):
    admin = login(app, "admin@sem.example")
    ref = f"ESS-{datetime.now().year}-0002"
    token = csrf(admin, f"/conseil/demandes/{ref}")
    assert admin.post(f"/conseil/demandes/{ref}/effacer", data={"csrf": token}).status_code == 400
    assert repo.get(ref) is not None
    admin.post(f"/conseil/demandes/{ref}/effacer", data={"csrf": token, "confirm": "oui"})
    assert repo.get(ref) is None


def test_ten_wrong_passwords_lock_the_account(app, repo):
    advisors = Advisors(repo)
    for _ in range(10):
        assert advisors.authenticate("claire@sem.example", "wrong password!") is None
    assert advisors.authenticate("claire@sem.example", PASSWORD) is None  # locked
    later = datetime.now(timezone.utc) + timedelta(minutes=5)
    assert advisors.authenticate("claire@sem.example", PASSWORD, now=later) is not None


def test_wrong_password_gives_a_french_message(app):
    client = TestClient(app)
    token = csrf(client, "/conseil/connexion")
    r = client.post(
        "/conseil/connexion",
        data={"email": "claire@sem.example", "password": "nope", "csrf": token},
    )
    assert r.status_code == 401 and "incorrect" in r.text


def test_figures_page_has_chart_and_tables(app):
    admin = login(app, "admin@sem.example")
    html = admin.get("/conseil/chiffres").text
    assert "<svg" in html and "Demandes de rappel" in html
    assert "Rêve et Réalise (Unis-Cité)" in html and '<th scope="row">' in html


def test_misunderstood_messages_are_labelled_and_exported(app, repo):
    repo.record_misunderstood(
        "c9",
        "jveu ouvrir 1 2eme boutik a firminy",
        [{"name": "nlu_fallback", "confidence": 0.35}],
        "sem-ess",
    )
    repo.record_misunderstood("c9", "azerty", [], "sem-ess")
    claire = login(app, "claire@sem.example")
    html = claire.get("/conseil/incompris").text
    assert "jveu ouvrir 1 2eme boutik a firminy" in html and "nlu_fallback (35 %)" in html
    from bot.workspace.review import pending

    ids = {m.text: m.id for m in pending(repo)}
    ids = [ids["jveu ouvrir 1 2eme boutik a firminy"], ids["azerty"]]
    token = csrf(claire, "/conseil/incompris")
    claire.post(
        f"/conseil/incompris/{ids[0]}",
        data={"csrf": token, "action": "label", "intent": "situation_duplication"},
    )
    claire.post(f"/conseil/incompris/{ids[1]}", data={"csrf": token, "action": "dismiss"})
    exported = claire.get("/conseil/incompris/export.yml").text
    import yaml

    data = yaml.safe_load(exported)
    assert data["nlu"] == [
        {"intent": "situation_duplication", "examples": "- jveu ouvrir 1 2eme boutik a firminy\n"}
    ]


def test_logins_from_one_address_are_throttled(app):
    client = TestClient(app)
    token = csrf(client, "/conseil/connexion")
    codes = [
        client.post(
            "/conseil/connexion",
            data={"email": f"x{i}@example.org", "password": "nope", "csrf": token},
        ).status_code
        for i in range(21)
    ]
    assert codes[:20] == [401] * 20 and codes[20] == 429


def test_lead_page_shows_detected_facts(app, repo):
    repo.save(
        {
            "confirmation_key": confirmation_key("c7", "m"),
            "conversation_id": "c7",
            "first_name": "Ana",
            "last_name": "Lopez",
            "email": "a@example.org",
            "offer_id": "competences",
            "facts": {"stage": "existante", "legal_form": "SCOP"},
            "consent_version": "v1",
        }
    )
    admin = login(app, "admin@sem.example")
    html = admin.get(f"/conseil/demandes/ESS-{datetime.now().year}-0004").text
    assert "stage = existante" in html and "legal_form = SCOP" in html


def test_public_offer_pages_need_no_login_and_show_the_offer(app, catalogue):
    from markupsafe import escape

    client = TestClient(app)
    page = client.get("/offres/reprise-cooperative")
    offer = catalogue["reprise-cooperative"]
    assert page.status_code == 200
    assert all(str(escape(t)) in page.text for t in (offer.title, offer.summary, *offer.benefits))
    listing = client.get("/offres")
    assert all(f'href="/offres/{offer_id}"' in listing.text for offer_id in catalogue.offers)
    missing = client.get("/offres/<script>")
    assert missing.status_code == 404 and "<script>" not in missing.text
