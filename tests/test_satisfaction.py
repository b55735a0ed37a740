"""The satisfaction survey a person opens from the link sent after closing (issue 14, item 3 and
its bad inputs), and the next step of the path in one click (item 4): over HTTP, no account."""

import re
import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from quality_support import (
    add_advisors,
    add_lead,
    close,
    csrf_of,
    login,
    make_repository,
    make_settings,
)
from sqlalchemy import func, select
from starlette.testclient import TestClient

from bot.followup.tokens import SALT, satisfaction_token
from bot.leads.models import Lead, SatisfactionAnswer
from bot.workspace.web.app import create_app


@pytest.fixture()
def world(tmp_path):
    repository = make_repository(tmp_path)
    add_advisors(repository)
    settings = make_settings(tmp_path)
    app = create_app(settings, repository=repository)
    ideation = add_lead(repository, "c1", "ideation")
    close(repository, ideation, "aide_proposee")
    tu = add_lead(repository, "c2", "competences", register="tu")
    close(repository, tu, "pas_d_aide")
    return app, repository, settings, ideation, tu


def signed_field(html: str) -> str:
    return re.search(r'name="form" value="([^"]+)"', html).group(1)


def answers(repository) -> int:
    with repository.sessions() as session:
        return session.scalar(select(func.count()).select_from(SatisfactionAnswer))


def leads(repository) -> list[Lead]:
    with repository.sessions() as session:
        return list(session.scalars(select(Lead).order_by(Lead.id)))


def test_the_survey_asks_two_questions_in_the_persons_register(world):
    app, _, settings, ideation, tu = world
    client = TestClient(app)
    page = client.get(f"/satisfaction/{satisfaction_token(ideation, settings)}")
    assert page.status_code == 200
    assert "Avez-vous été contacté·e ?" in page.text and "Cela vous a-t-il aidé·e ?" in page.text
    assert "Pas encore" in page.text and "commentaire" in page.text.lower()
    assert "set-cookie" not in page.headers  # no session: an advisor's own stays untouched
    assert page.headers["cache-control"] == "no-store"
    page = client.get(f"/satisfaction/{satisfaction_token(tu, settings)}")
    assert "As-tu été contacté·e ?" in page.text and "Cela t’a-t-il aidé·e ?" in page.text


def test_one_answer_is_recorded_per_lead_and_shown_to_the_advisor(world):
    app, repository, settings, ideation, _ = world
    client = TestClient(app)
    path = f"/satisfaction/{satisfaction_token(ideation, settings)}"
    field = signed_field(client.get(path).text)
    response = client.post(
        path,
        data={
            "form": field,
            "contacted": "oui",
            "helpful": "pas_encore",
            "comment": "Rappel rapide <b>",
        },
    )
    assert response.status_code == 200 and "sont enregistrées" in response.text
    answer = repository.quality(ideation).answer
    assert (answer.contacted, answer.helpful, answer.comment) == (True, None, "Rappel rapide <b>")
    # The link reused: a clear page, nothing more recorded, the first answer kept.
    again = client.post(path, data={"form": field, "contacted": "non", "helpful": "non"})
    assert again.status_code == 409 and "déjà répondu" in again.text
    assert client.get(path).status_code == 409
    assert answers(repository) == 1 and repository.quality(ideation).answer.contacted is True
    claire = login(app, "claire@sem.example")
    lead_page = claire.get(f"/conseil/demandes/{ideation}").text
    assert "contacté·e — <strong>oui</strong>" in lead_page and "pas encore" in lead_page
    assert "Rappel rapide &lt;b&gt;" in lead_page


def expired_token(reference, settings) -> str:
    class Signed61DaysAgo(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - 61 * 86400

    return URLSafeTimedSerializer(settings.secret_key, salt=SALT, signer=Signed61DaysAgo).dumps(
        reference
    )


def test_forged_expired_and_erased_links_get_a_french_page_and_record_nothing(world, tmp_path):
    app, repository, settings, ideation, _ = world
    client = TestClient(app, raise_server_exceptions=False)
    good = satisfaction_token(ideation, settings)
    field = signed_field(client.get(f"/satisfaction/{good}").text)
    forged = [
        good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        URLSafeTimedSerializer("another-secret", salt=SALT).dumps(ideation),
        "x" * 5000,
        "%00%ff",
        "é" * 30,
    ]
    for token in forged:
        for response in (
            client.get(f"/satisfaction/{token}"),
            client.post(
                f"/satisfaction/{token}", data={"form": field, "contacted": "oui", "helpful": "oui"}
            ),
        ):
            assert response.status_code == 404, token
            assert "Ce lien n’est pas valide" in response.text
    assert client.get("/satisfaction/..%2f..%2fetc").status_code == 404
    old = expired_token(ideation, settings)
    for response in (
        client.get(f"/satisfaction/{old}"),
        client.post(
            f"/satisfaction/{old}", data={"form": field, "contacted": "oui", "helpful": "oui"}
        ),
    ):
        assert response.status_code == 410 and "Ce lien a expiré" in response.text
    repository.erase_lead(ideation)
    gone = client.get(f"/satisfaction/{good}")
    assert gone.status_code == 410 and "ont été effacées" in gone.text
    assert answers(repository) == 0


def test_the_form_needs_its_signed_field_and_both_answers(world):
    app, repository, settings, ideation, tu = world
    client = TestClient(app, raise_server_exceptions=False)
    path = f"/satisfaction/{satisfaction_token(ideation, settings)}"
    field = signed_field(client.get(path).text)
    other_field = signed_field(client.get(f"/satisfaction/{satisfaction_token(tu, settings)}").text)
    for data, headers in (
        ({"contacted": "oui", "helpful": "oui"}, {}),
        ({"form": "forged", "contacted": "oui", "helpful": "oui"}, {}),
        ({"form": other_field, "contacted": "oui", "helpful": "oui"}, {}),
        ({"form": field, "contacted": "oui", "helpful": "oui"}, {"origin": "https://evil.example"}),
    ):
        response = client.post(path, data=data, headers=headers)
        assert response.status_code == 403 and "Le formulaire a expiré" in response.text
    for data in (
        {"form": field, "contacted": "peut-être", "helpful": "oui"},
        {"form": field, "helpful": "oui", "comment": "é" * 10},
        {"form": field, "contacted": "oui", "helpful": "\x00"},
    ):
        response = client.post(path, data=data)
        assert response.status_code == 400 and "aux deux questions" in response.text
    assert answers(repository) == 0
    # The comment is kept to 2 000 characters.
    client.post(
        path, data={"form": field, "contacted": "non", "helpful": "non", "comment": "x" * 10_000}
    )
    assert len(repository.quality(ideation).answer.comment) == 2000


def test_the_next_step_is_one_linked_lead_whatever_the_clicks(world):
    app, repository, settings, ideation, tu = world
    client = TestClient(app)
    path = f"/satisfaction/{satisfaction_token(ideation, settings)}"
    page = client.get(path).text
    assert "L’étape suivante : Validation" in page
    assert "Je veux être accompagné·e pour l’étape suivante" in page
    field = signed_field(page)
    first = client.post(f"{path}/etape-suivante", data={"form": field})
    second = client.post(f"{path}/etape-suivante", data={"form": field})
    assert first.status_code == second.status_code == 200
    new = leads(repository)[-1]
    assert new.reference in first.text and new.reference in second.text
    assert len(leads(repository)) == 3
    previous = repository.get(ideation)
    assert (new.offer_id, new.previous_lead_id, new.status) == (
        "validation",
        previous.id,
        "nouveau",
    )
    assert (new.email, new.phone, new.last_name) == (previous.email, previous.phone, "Martin")
    assert repository.quality(ideation).next_steps == [new.reference]
    assert "déjà enregistrée" in client.get(path).text
    # No next step after « pas d'aide disponible »: no button, and a hand-made POST creates nothing.
    other = f"/satisfaction/{satisfaction_token(tu, settings)}"
    assert "étape suivante" not in client.get(other).text.lower()
    refused = client.post(
        f"{other}/etape-suivante", data={"form": signed_field(client.get(other).text)}
    )
    assert refused.status_code == 409 and len(leads(repository)) == 3
    # Without the signed field, nothing either.
    assert client.post(f"{path}/etape-suivante", data={}).status_code == 403


def test_the_advisor_creates_the_next_step_once_for_their_organisation_only(world):
    app, repository, _, ideation, _ = world
    claire = login(app, "claire@sem.example")
    page = claire.get(f"/conseil/demandes/{ideation}").text
    assert "Prochaine offre du parcours : <strong>Validation" in page
    token = csrf_of(claire, f"/conseil/demandes/{ideation}")
    assert (
        claire.post(
            f"/conseil/demandes/{ideation}/etape-suivante",
            data={"csrf": "x"},
            follow_redirects=False,
        ).status_code
        == 403
    )
    yann = login(app, "yann@unis-cite.example")
    yann_token = csrf_of(yann, "/conseil/")
    assert (
        yann.post(
            f"/conseil/demandes/{ideation}/etape-suivante", data={"csrf": yann_token}
        ).status_code
        == 404
    )
    assert len(leads(repository)) == 2
    for _ in range(2):
        response = claire.post(
            f"/conseil/demandes/{ideation}/etape-suivante",
            data={"csrf": token},
            follow_redirects=False,
        )
        assert response.status_code == 303
    assert len(leads(repository)) == 3
    new = leads(repository)[-1]
    assert (
        f'href="/conseil/demandes/{new.reference}"'
        in claire.get(f"/conseil/demandes/{ideation}").text
    )
    assert (
        f'Étape suivante de la demande <a href="/conseil/demandes/{ideation}"'
        in claire.get(f"/conseil/demandes/{new.reference}").text
    )


@pytest.fixture()
def mail_server():
    """A local SMTP server (aiosmtpd) keeping what it receives."""
    import socket

    from aiosmtpd.controller import Controller

    received = []

    class Keep:
        async def handle_DATA(self, server, session, envelope):
            received.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    yield received, port
    controller.stop()


def test_the_advisors_are_told_of_the_next_step_once(tmp_path, mail_server):
    from dataclasses import replace

    from bot.settings import SmtpSettings

    received, port = mail_server
    repository = make_repository(tmp_path)
    add_advisors(repository)
    settings = replace(
        make_settings(tmp_path),
        smtp=SmtpSettings(
            host="127.0.0.1", port=port, starttls=False, sender="boussole@test.example"
        ),
    )
    ideation = add_lead(repository, "c1", "ideation")
    close(repository, ideation, "aide_proposee")
    client = TestClient(create_app(settings, repository=repository))
    path = f"/satisfaction/{satisfaction_token(ideation, settings)}"
    field = signed_field(client.get(path).text)
    for _ in range(2):
        assert client.post(f"{path}/etape-suivante", data={"form": field}).status_code == 200
    new = leads(repository)[-1]
    assert len(received) == 1
    recipients, body = received[0]
    assert "claire@sem.example" in recipients and new.reference in body
    assert "c1@example.org" not in body and "612345678" not in body  # none by e-mail
