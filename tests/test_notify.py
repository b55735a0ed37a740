"""New qualified leads are e-mailed to the organisation's advisors (local SMTP server)."""

import socket
import time
from email import message_from_string
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink

from bot.leads.db import make_engine, session_factory, upgrade
from bot.leads.repository import LeadRepository, confirmation_key
from bot.settings import Settings, SmtpSettings
from bot.workspace.advisors import Advisors
from bot.workspace.notify import notify_in_background, notify_new_lead


class Inbox(Sink):
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@pytest.fixture()
def smtp():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield (
        inbox,
        SmtpSettings(host="127.0.0.1", port=port, starttls=False, sender="boussole@test.example"),
    )
    controller.stop()


@pytest.fixture()
def repo(tmp_path):
    url = f"sqlite:///{tmp_path / 'n.db'}"
    upgrade(url)
    repo = LeadRepository(session_factory(make_engine(url)))
    advisors = Advisors(repo)
    advisors.add("claire@sem.example", "Claire", "sem-ess", "conseiller", "mot de passe long")
    advisors.add("yann@unis-cite.example", "Yann", "unis-cite", "conseiller", "mot de passe long")
    return repo


def lead(repo, conv, **over):
    values = {
        "confirmation_key": confirmation_key(conv, "m"),
        "conversation_id": conv,
        "first_name": "Léa",
        "last_name": "Martin",
        "email": "lea@example.org",
        "phone": "+33612345678",
        "commune": "Firminy",
        "on_territory": True,
        "offer_id": "reprise-cooperative",
        "confidence": 0.9,
        "consent_version": "v1",
        "project_summary": "Reprendre la menuiserie de notre patron",
    }
    values.update(over)
    return repo.save(values).reference


def test_a_qualified_lead_is_mailed_to_its_organisation_without_contact_details(repo, smtp):
    inbox, settings = smtp
    reference = lead(repo, "c1")
    assert notify_new_lead(repo, reference, settings)
    [(to, body)] = inbox.messages
    assert to == ["claire@sem.example"]
    assert reference in body and "Reprise d'entreprise" in body
    assert "lea@example.org" not in body and "0612345678" not in body.replace(" ", "")


def test_incomplete_leads_are_not_mailed(repo, smtp):
    inbox, settings = smtp
    assert not notify_new_lead(repo, lead(repo, "c2", consent_version=None), settings)
    assert inbox.messages == []


def test_notifications_are_off_by_default_and_never_break(repo):
    assert Settings.from_env({}).smtp is None
    assert not notify_new_lead(repo, lead(repo, "c3"), Settings.from_env({}).smtp)
    unreachable = SmtpSettings(host="127.0.0.1", port=1, starttls=False)
    assert not notify_new_lead(repo, lead(repo, "c4"), unreachable)


def test_the_environment_s_mail_server_gets_the_notification_in_the_background(repo, smtp):
    inbox, local = smtp
    settings = Settings.from_env(
        {
            "BOUSSOLE_SMTP_HOST": local.host,
            "BOUSSOLE_SMTP_PORT": str(local.port),
            "BOUSSOLE_SMTP_STARTTLS": "0",
            "BOUSSOLE_WORKSPACE_URL": "https://ess.example.org/conseil",
        }
    )
    reference = lead(repo, "c5")
    notify_in_background(repo, reference, settings.smtp)
    deadline = time.monotonic() + 10
    while not inbox.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    [(to, body)] = inbox.messages
    assert to == ["claire@sem.example"]
    text = message_from_string(body, policy=default).get_content()
    assert f"https://ess.example.org/conseil/demandes/{reference}" in text
