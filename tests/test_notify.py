"""New qualified leads are e-mailed to the organisation's advisors (local SMTP server)."""
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink

from bot.leads.db import make_engine, session_factory, upgrade
from bot.leads.repository import LeadRepository, confirmation_key
from bot.workspace.advisors import Advisors
from bot.workspace.notify import SmtpSettings, notify_new_lead


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
    yield inbox, SmtpSettings(host="127.0.0.1", port=port, starttls=False,
                              sender="boussole@test.example")
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
    values = {"confirmation_key": confirmation_key(conv, "m"), "conversation_id": conv,
              "first_name": "Léa", "last_name": "Martin", "email": "lea@example.org",
              "phone": "+33612345678", "commune": "Firminy", "on_territory": True,
              "offer_id": "reprise-cooperative", "confidence": 0.9, "consent_version": "v1",
              "project_summary": "Reprendre la menuiserie de notre patron"}
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


def test_notifications_are_off_by_default_and_never_break(repo, monkeypatch):
    monkeypatch.delenv("BOUSSOLE_SMTP_HOST", raising=False)
    assert not notify_new_lead(repo, lead(repo, "c3"))
    unreachable = SmtpSettings(host="127.0.0.1", port=1, starttls=False)
    assert not notify_new_lead(repo, lead(repo, "c4"), unreachable)
