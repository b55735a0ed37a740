"""« Ne plus recevoir ces messages »: the link at the foot of every follow-up message, and the
advisor's button when the person asks them by phone (issue 14: a person who withdrew is never
contacted). Over HTTP, no account for the person; the follow-up loop then writes nothing."""

import re

import pytest
from quality_support import add_advisors, add_lead, csrf_of, login, make_repository, make_settings
from starlette.testclient import TestClient

from bot.followup.tokens import satisfaction_token, stop_token
from bot.workspace.web.app import create_app


@pytest.fixture()
def world(tmp_path):
    repository = make_repository(tmp_path)
    add_advisors(repository)
    settings = make_settings(tmp_path)
    app = create_app(settings, repository=repository)
    vous = add_lead(repository, "c1", "ideation")
    tu = add_lead(repository, "c2", "competences", register="tu")
    return app, repository, settings, vous, tu


def signed_field(html: str) -> str:
    return re.search(r'name="form" value="([^"]+)"', html).group(1)


def withdrawn(repository, reference) -> bool:
    return repository.get(reference).contact_withdrawn_at is not None


def test_opening_the_link_asks_and_only_the_button_stops_the_messages(world):
    app, repository, settings, vous, tu = world
    client = TestClient(app)
    path = f"/ne-plus-me-contacter/{stop_token(vous, settings)}"
    page = client.get(path)
    assert page.status_code == 200 and "Je ne veux plus recevoir ces messages" in page.text
    assert "set-cookie" not in page.headers and page.headers["cache-control"] == "no-store"
    assert not withdrawn(repository, vous)  # a link preview or a mail scanner changes nothing
    done = client.post(path, data={"form": signed_field(page.text)})
    assert done.status_code == 200 and "ne recevrez plus de message automatique" in done.text
    assert vous in done.text and withdrawn(repository, vous)
    # Opening it again says so; the person in « tu » is answered in « tu ».
    assert "ne recevrez plus" in client.get(path).text
    page = client.get(f"/ne-plus-me-contacter/{stop_token(tu, settings)}")
    assert "Tu reçois" in page.text and "ta demande" in page.text and "Vous" not in page.text


def test_a_forged_link_another_sites_post_or_the_survey_link_stop_nothing(world):
    app, repository, settings, vous, _ = world
    client = TestClient(app, raise_server_exceptions=False)
    good = stop_token(vous, settings)
    field = signed_field(client.get(f"/ne-plus-me-contacter/{good}").text)
    for token in (good[:-2] + ("AA" if not good.endswith("AA") else "BB"), "x" * 5000, "%00"):
        page = client.post(f"/ne-plus-me-contacter/{token}", data={"form": field})
        assert page.status_code == 404 and "pas valide" in page.text
    # The survey's link is signed for another purpose: it opens no stop page.
    survey = satisfaction_token(vous, settings)
    assert client.get(f"/ne-plus-me-contacter/{survey}").status_code == 404
    # No signed field, or a POST from another site: refused with a page that says why.
    assert client.post(f"/ne-plus-me-contacter/{good}", data={}).status_code == 403
    other = client.post(
        f"/ne-plus-me-contacter/{good}",
        data={"form": field},
        headers={"Origin": "https://evil.example"},
    )
    assert other.status_code == 403 and "formulaire a expiré" in other.text
    assert not withdrawn(repository, vous)


def test_the_advisor_stops_the_messages_when_the_person_asks_on_the_phone(world):
    app, repository, _, vous, _ = world
    claire = login(app, "claire@sem.example")
    page = f"/conseil/demandes/{vous}"
    assert "Arrêter les messages de suivi" in claire.get(page).text
    csrf = csrf_of(claire, page)
    # Without the confirmation box: nothing happens.
    refused = claire.post(f"{page}/ne-plus-ecrire", data={"csrf": csrf}, follow_redirects=False)
    assert refused.status_code == 400 and not withdrawn(repository, vous)
    # Without the CSRF token: refused.
    forged = claire.post(f"{page}/ne-plus-ecrire", data={"confirm": "oui"}, follow_redirects=False)
    assert forged.status_code == 403 and not withdrawn(repository, vous)
    done = claire.post(
        f"{page}/ne-plus-ecrire", data={"csrf": csrf, "confirm": "oui"}, follow_redirects=False
    )
    assert done.status_code == 303 and withdrawn(repository, vous)
    shown = claire.get(page).text
    assert "<strong>arrêtés</strong> à la demande de la personne" in shown
    assert "Arrêter les messages de suivi" not in shown


def test_an_advisor_of_another_organisation_cannot_stop_them(world):
    app, repository, _, vous, _ = world
    claire = login(app, "claire@sem.example")
    csrf = csrf_of(claire, "/conseil/")
    yann = login(app, "yann@unis-cite.example")
    csrf = csrf_of(yann, "/conseil/")
    response = yann.post(
        f"/conseil/demandes/{vous}/ne-plus-ecrire",
        data={"csrf": csrf, "confirm": "oui"},
        follow_redirects=False,
    )
    assert response.status_code in (403, 404) and not withdrawn(repository, vous)
