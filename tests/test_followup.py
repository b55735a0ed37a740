"""The follow-up loop: the person is told, advisors are reminded, the survey link follows closing;
once per message whatever the runs, never to someone erased or who withdrew, retried after a
failure. Fake clock (`now`), local SMTP (aiosmtpd), local Telegram/Twilio (fake_platforms)."""

import os
import socket
import subprocess
import sys
from datetime import datetime, timezone
from email import message_from_string
from email.policy import default
from pathlib import Path
from zoneinfo import ZoneInfo

import fake_platforms as fp
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from sqlalchemy import select

from bot.followup.run import FollowUpRun
from bot.followup.tokens import read_satisfaction_token, read_stop_token
from bot.leads.db import make_engine, session_factory, upgrade
from bot.leads.models import FollowUp
from bot.leads.repository import LeadRepository, confirmation_key
from bot.settings import Settings, SmtpSettings
from bot.workspace.advisors import Advisors

ROOT = Path(__file__).resolve().parent.parent
PARIS = ZoneInfo("Europe/Paris")
SEM = "Service Économie sociale et solidaire de Saint-Étienne Métropole"


def paris(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00").replace(tzinfo=PARIS)


class Inbox(Sink):
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        mail = message_from_string(envelope.content.decode("utf-8", "replace"), policy=default)
        self.messages.append((envelope.rcpt_tos, mail["Subject"], mail.get_content()))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def smtp():
    port = free_port()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.settings = SmtpSettings(
        host="127.0.0.1",
        port=port,
        starttls=False,
        sender="boussole@test.example",
        workspace_url="https://ess.example.org/conseil",
    )
    yield inbox
    controller.stop()


def channel_env(platforms) -> dict:
    return {
        "TELEGRAM_ACCESS_TOKEN": fp.TELEGRAM_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": fp.TELEGRAM_SECRET,
        "TELEGRAM_API_URL": platforms.url,
        "TWILIO_ACCOUNT_SID": fp.TWILIO_SID,
        "TWILIO_AUTH_TOKEN": fp.TWILIO_TOKEN,
        "TWILIO_API_URL": platforms.url,
        "TWILIO_SMS_FROM": fp.TWILIO_NUMBER,
        "TWILIO_WHATSAPP_FROM": fp.TWILIO_WHATSAPP,
    }


class World:
    """A leads database with advisors, and the loop configured towards the local fakes."""

    def __init__(self, url, tmp_path, smtp, platforms):
        self.url = url
        self.repo = LeadRepository(session_factory(make_engine(url)))
        self.inbox, self.platforms, self.tmp = smtp, platforms, tmp_path
        with platforms.lock:  # the fake platforms serve the whole session: start afresh
            platforms.calls.clear()
            platforms.troubles.clear()
        advisors = Advisors(self.repo)
        advisors.add("claire@sem.example", "Claire", "sem-ess", "conseiller", "mot de passe long")
        advisors.add("malik@sem.example", "Malik", "sem-ess", "conseiller", "mot de passe long")
        advisors.add("ancien@sem.example", "Ancien", "sem-ess", "conseiller", "mot de passe long")
        advisors.disable("ancien@sem.example")
        advisors.add(
            "yann@unis-cite.example", "Yann", "unis-cite", "conseiller", "mot de passe long"
        )
        self.settings = self.configured(smtp.settings)

    def configured(self, smtp_settings):
        return Settings(
            var_dir=self.tmp / "var",
            secret_key="test-secret",
            public_url="https://ess.example.org",
            smtp=smtp_settings,
            channel_timeout=1,
            environ=channel_env(self.platforms),
        )

    def lead(self, conversation, created, **over):
        values = {
            "confirmation_key": confirmation_key(conversation, "m"),
            "conversation_id": conversation,
            "first_name": "Léa",
            "last_name": "Martin",
            "email": f"{conversation}@example.org",
            "phone": "+33612345678",
            "commune": "Firminy",
            "on_territory": True,
            "offer_id": "reprise-cooperative",
            "confidence": 0.9,
            "consent_version": "v1",
            "created_at": created.astimezone(timezone.utc).isoformat(),
            "project_summary": "Reprendre la menuiserie de notre patron en SCOP",
        }
        values.update(over)
        return self.repo.save({k: v for k, v in values.items() if v is not None}).reference

    def run(self, now, settings=None, dry_run=False):
        return FollowUpRun(self.repo, settings or self.settings).run(now, dry_run)

    def mails_to(self, address):
        return [(subject, body) for to, subject, body in self.inbox.messages if address in to]

    def rows(self):
        with self.repo.sessions() as session:
            return list(session.scalars(select(FollowUp).order_by(FollowUp.id)))


@pytest.fixture()
def world(db_url, tmp_path, smtp, platforms):
    return World(db_url, tmp_path, smtp, platforms)


# -- the person is kept informed ---------------------------------------------------------------


def test_taken_in_charge_the_person_learns_who_will_call_once(world):
    ref = world.lead("lea", paris("2026-03-02"))
    world.repo.change_status(ref, "pris_en_charge", "claire@sem.example", at=paris("2026-03-03", 9))
    report = world.run(paris("2026-03-03", 9).replace(minute=15))
    assert report.sent == 1
    [(subject, body)] = world.mails_to("lea@example.org")
    assert ref in subject and "prise en charge" in subject
    assert "Claire, de l'équipe " + SEM in body and "va vous appeler" in body
    assert body.startswith("Bonjour Léa,")
    # Every later run (every 15 minutes) sends nothing more.
    for minutes in (30, 45):
        assert world.run(paris("2026-03-03", 9).replace(minute=minutes)).sent == 0
    assert len(world.mails_to("lea@example.org")) == 1
    [row] = world.rows()
    assert (row.kind, row.status, row.attempts) == ("person_taken", "sent", 1)


def test_a_person_who_said_tu_is_answered_with_tu(world):
    ref = world.lead("tom", paris("2026-03-02"), first_name="Tom", facts={"register": "tu"})
    world.repo.change_status(ref, "pris_en_charge", "claire@sem.example", at=paris("2026-03-03", 9))
    world.run(paris("2026-03-03", 11))
    [(subject, body)] = world.mails_to("tom@example.org")
    assert subject.startswith("Ta demande") and "va t'appeler" in body and "vous" not in body


def test_unreachable_on_telegram_says_how_to_get_back_in_touch(world):
    ref = world.lead(
        "tg", paris("2026-03-02"), channel="telegram", email=None, reply_address="telegram:424242"
    )
    world.repo.change_status(ref, "pris_en_charge", "claire@sem.example", at=paris("2026-03-03"))
    world.repo.change_status(ref, "injoignable", "claire@sem.example", at=paris("2026-03-04"))
    world.run(paris("2026-03-04", 11))
    calls = world.platforms.sent_to("424242")
    # Told once: the « taken » news was superseded before the run, only the latest is told.
    assert len(calls) == 1
    assert "sans y arriver" in calls[0].text and "écrivez-nous ici" in calls[0].text
    world.run(paris("2026-03-04", 12))
    assert len(world.platforms.sent_to("424242")) == 1


def test_a_lead_from_whatsapp_is_written_back_on_whatsapp(world):
    ref = world.lead(
        "wa",
        paris("2026-03-02"),
        channel="twilio",
        email=None,
        reply_address="whatsapp:+33611111111",
    )
    world.repo.change_status(ref, "pris_en_charge", "claire@sem.example", at=paris("2026-03-03"))
    world.run(paris("2026-03-03", 11))
    [call] = world.platforms.sent_to("whatsapp:+33611111111")
    assert call.body["From"] == fp.TWILIO_WHATSAPP and ref in call.text


def test_still_new_after_five_working_days_across_easter_an_apology_and_a_date(world):
    # Friday 3 April 2026; Monday 6 April is Easter Monday: the 5th working day is Monday 13.
    ref = world.lead("paques", paris("2026-04-03", 16))
    world.run(paris("2026-04-10"))
    assert world.mails_to("paques@example.org") == []
    world.run(paris("2026-04-13"))
    [(subject, body)] = world.mails_to("paques@example.org")
    assert "excuses" in subject and ref in body
    assert "nous vous prions de nous en excuser" in body and "lundi 20 avril" in body
    world.run(paris("2026-04-14"))
    assert len(world.mails_to("paques@example.org")) == 1


def test_survey_link_ten_days_after_closing_and_the_token_names_the_lead(world):
    ref = world.lead("fin", paris("2026-03-02"))
    world.repo.change_status(ref, "pris_en_charge", "claire@sem.example", at=paris("2026-03-03"))
    world.repo.change_status(ref, "aide_proposee", "claire@sem.example", at=paris("2026-03-05"))
    world.inbox.messages.clear()
    world.run(paris("2026-03-14"))
    assert world.mails_to("fin@example.org") == []
    world.run(paris("2026-03-15", 11))
    [(subject, body)] = world.mails_to("fin@example.org")
    assert "avis" in subject and "Avez-vous été contacté·e" in body
    url = next(w for w in body.split() if w.startswith("https://ess.example.org/satisfaction/"))
    token = url.rsplit("/", 1)[1]
    assert read_satisfaction_token(token, world.settings, now=paris("2026-03-16")) == ref
    world.run(paris("2026-03-16", 11))
    assert len(world.mails_to("fin@example.org")) == 1


def test_nothing_is_sent_when_no_channel_allows_it(world):
    # A landline and no e-mail: no SMS possible, so nothing, and nothing recorded.
    ref = world.lead("fixe", paris("2026-03-02"), email=None, phone="+33477000000")
    world.repo.change_status(ref, "pris_en_charge", "claire@sem.example", at=paris("2026-03-03"))
    assert world.run(paris("2026-03-03", 11)).sent == 0
    assert world.rows() == [] and world.platforms.sent_to("+33477000000") == []


def test_an_sms_when_only_a_mobile_number_was_given(world):
    ref = world.lead("sms", paris("2026-03-02"), email=None, phone="+33622222222")
    world.repo.change_status(ref, "pris_en_charge", "claire@sem.example", at=paris("2026-03-03"))
    world.run(paris("2026-03-03", 11))
    [call] = world.platforms.sent_to("+33622222222")
    assert call.body["From"] == fp.TWILIO_NUMBER and "prise en charge" in call.text


def test_nobody_is_written_to_at_night(world):
    ref = world.lead("nuit", paris("2026-03-02"))
    world.repo.change_status(
        ref, "pris_en_charge", "claire@sem.example", at=paris("2026-03-03", 21)
    )
    assert world.run(paris("2026-03-03", 23)).sent == 0
    assert world.run(paris("2026-03-04", 8)).sent == 1


# -- advisors are reminded -----------------------------------------------------------------------


def test_one_digest_per_organisation_to_its_active_advisors(world):
    new = world.lead("n1", paris("2026-03-02"))  # nouveau > 3 days
    taken = world.lead("p1", paris("2026-02-09"))
    world.repo.change_status(taken, "pris_en_charge", "malik@sem.example", at=paris("2026-02-10"))
    youth = world.lead("j1", paris("2026-03-02"), offer_id="reve-et-realise")
    world.inbox.messages.clear()
    world.run(paris("2026-03-05", 7))  # before sending hours: nothing
    assert world.inbox.messages == []
    world.run(paris("2026-03-05"))
    digests = [(to, s, b) for to, s, b in world.inbox.messages if s.startswith("Rappel")]
    assert len(digests) == 2
    sem = next(d for d in digests if "claire@sem.example" in d[0])
    assert sorted(sem[0]) == ["claire@sem.example", "malik@sem.example"]  # not the disabled one
    assert new in sem[2] and taken in sem[2] and youth not in sem[2]
    assert "15 jours ouvrés" in sem[2] and "3 jours ouvrés" in sem[2]
    assert f"https://ess.example.org/conseil/demandes/{new}" in sem[2]
    assert "@example.org" not in sem[2] and "0612345678" not in sem[2]  # no contact details
    unis = next(d for d in digests if "yann@unis-cite.example" in d[0])
    assert youth in unis[2] and new not in unis[2]
    count = len(world.inbox.messages)
    world.run(paris("2026-03-05", 11))
    world.run(paris("2026-03-06"))
    assert len(world.inbox.messages) == count


def test_a_lead_assigned_to_an_advisor_is_in_their_own_digest(world):
    mine = world.lead("a1", paris("2026-03-02"))
    nobodys = world.lead("a2", paris("2026-03-02"))
    gone = world.lead("a3", paris("2026-03-02"))
    accounts = {a.email: a.id for a in Advisors(world.repo).list()}
    world.repo.assign(mine, accounts["malik@sem.example"], "claire@sem.example")
    world.repo.assign(gone, accounts["ancien@sem.example"], "claire@sem.example")  # disabled
    world.inbox.messages.clear()
    world.run(paris("2026-03-05"))
    [(subject, body)] = [m for m in world.mails_to("malik@sem.example") if mine in m[1]]
    assert subject == "Rappel : 1 demande en attente" and nobodys not in body
    # The others go to the whole organisation, the disabled assignee's lead included.
    digests = [(to, b) for to, s, b in world.inbox.messages if s.startswith("Rappel")]
    [(to, body)] = [d for d in digests if nobodys in d[1]]
    assert sorted(to) == ["claire@sem.example", "malik@sem.example"]
    assert gone in body and mine not in body
    assert len(digests) == 2
    count = len(world.inbox.messages)
    world.run(paris("2026-03-05", 11))
    assert len(world.inbox.messages) == count


def test_new_lead_reminder_counts_working_days_across_easter(world):
    ref = world.lead("rappel", paris("2026-04-03", 16))
    world.run(paris("2026-04-08"))
    assert world.mails_to("claire@sem.example") == []
    world.run(paris("2026-04-09"))
    [(subject, body)] = world.mails_to("claire@sem.example")
    assert ref in body and subject == "Rappel : 1 demande en attente"


def test_stale_at_30_days_reminded_again_then_flagged_at_45(world):
    ref = world.lead("vieux", paris("2026-01-05"))
    world.repo.change_status(ref, "pris_en_charge", "claire@sem.example", at=paris("2026-01-06"))
    world.run(paris("2026-01-27"))  # 15 working days after 6 January: 27 January
    world.run(paris("2026-02-17"))  # 30: 17 February
    bodies = [b for s, b in world.mails_to("claire@sem.example")]
    assert len(bodies) == 2 and "15 jours ouvrés" in bodies[0] and "30 jours ouvrés" in bodies[1]
    world.run(paris("2026-03-09"))  # 44 working days: not yet
    assert world.repo.get(ref).flagged_at is None
    world.run(paris("2026-03-10"))  # 45
    assert world.repo.get(ref).flagged_at is not None
    # A status change is news: the flag goes.
    world.repo.change_status(ref, "aide_proposee", "claire@sem.example", at=paris("2026-03-11"))
    assert world.repo.get(ref).flagged_at is None


# -- faults ---------------------------------------------------------------------------------------


def test_smtp_down_the_message_waits_and_leaves_once_it_is_back(world):
    ref = world.lead("panne", paris("2026-03-02"))
    world.repo.change_status(ref, "pris_en_charge", "claire@sem.example", at=paris("2026-03-03"))
    down = world.configured(SmtpSettings(host="127.0.0.1", port=free_port(), starttls=False))
    report = world.run(paris("2026-03-03", 11), settings=down)
    assert report.failed == 1 and report.sent == 0
    [row] = world.rows()
    assert row.status == "pending" and row.attempts == 1 and "courriel" in row.last_error
    world.run(paris("2026-03-03", 11).replace(minute=15), settings=down)
    assert world.rows()[0].attempts == 2
    world.run(paris("2026-03-03", 11).replace(minute=30))
    world.run(paris("2026-03-03", 11).replace(minute=45))
    assert len(world.mails_to("panne@example.org")) == 1
    [row] = world.rows()
    assert row.status == "sent" and row.attempts == 3 and row.last_error is None


def test_a_message_still_failing_after_a_day_of_runs_is_given_up(world, monkeypatch):
    from bot.leads.repository import followups

    monkeypatch.setattr(followups, "MAX_ATTEMPTS", 2)
    ref = world.lead("refus", paris("2026-03-02"))
    world.repo.change_status(ref, "pris_en_charge", "claire@sem.example", at=paris("2026-03-03"))
    down = world.configured(SmtpSettings(host="127.0.0.1", port=free_port(), starttls=False))
    for minute in (0, 15, 30):
        world.run(paris("2026-03-03", 11).replace(minute=minute), settings=down)
    [row] = world.rows()
    assert (row.status, row.attempts) == ("failed", 2)
    world.run(paris("2026-03-03", 12))
    assert world.mails_to("refus@example.org") == []


def test_twilio_down_the_sms_waits_and_leaves_once(world):
    phone = "+33633333333"
    ref = world.lead("twpanne", paris("2026-03-02"), email=None, phone=phone)
    world.repo.change_status(ref, "pris_en_charge", "claire@sem.example", at=paris("2026-03-03"))
    world.platforms.trouble(phone, "500", "500", "500")  # every attempt of the channel fails
    assert world.run(paris("2026-03-03", 11)).failed == 1
    assert world.platforms.sent_to(phone) == []
    assert world.run(paris("2026-03-03", 11).replace(minute=15)).sent == 1
    world.run(paris("2026-03-03", 11).replace(minute=30))
    assert len(world.platforms.sent_to(phone)) == 1


def test_every_message_to_the_person_ends_with_a_link_to_stop_them(world):
    ref = world.lead("pied", paris("2026-03-02"))
    sms = world.lead("pied-sms", paris("2026-03-02"), email=None, phone="+33633333333")
    for lead in (ref, sms):
        world.repo.change_status(
            lead, "pris_en_charge", "claire@sem.example", at=paris("2026-03-03")
        )
    world.run(paris("2026-03-03", 11))
    for lead in (ref, sms):
        world.repo.change_status(
            lead, "aide_proposee", "claire@sem.example", at=paris("2026-03-04")
        )
    world.run(paris("2026-03-14", 11))
    bodies = [body for _, body in world.mails_to("pied@example.org")]
    bodies += [call.text for call in world.platforms.sent_to("+33633333333")]
    assert len(bodies) == 4  # taken in charge, then the survey: by e-mail and by SMS
    for body in bodies:
        last = body.rstrip().splitlines()[-1]
        assert last.startswith("Ne plus recevoir ces messages : https://ess.example.org/")
        token = last.rsplit("/", 1)[1]
        assert read_stop_token(token, world.settings) in (ref, sms)


def test_a_person_who_withdrew_is_never_contacted(world):
    ref = world.lead("retrait", paris("2026-03-02"))
    world.repo.withdraw_contact(ref, paris("2026-03-02", 12))
    world.repo.change_status(ref, "pris_en_charge", "claire@sem.example", at=paris("2026-03-03"))
    world.repo.change_status(ref, "aide_proposee", "claire@sem.example", at=paris("2026-03-03"))
    for day in ("2026-03-03", "2026-03-13", "2026-03-20"):
        world.run(paris(day, 11))
    assert world.mails_to("retrait@example.org") == []
    assert not [r for r in world.rows() if r.kind.startswith("person_")]


def test_an_erased_person_is_never_contacted_and_their_pending_messages_go(world):
    ref = world.lead("efface", paris("2026-03-02"))
    world.repo.change_status(ref, "pris_en_charge", "claire@sem.example", at=paris("2026-03-03"))
    down = world.configured(SmtpSettings(host="127.0.0.1", port=free_port(), starttls=False))
    world.run(paris("2026-03-03", 11), settings=down)
    assert len(world.rows()) == 1
    world.repo.erase_lead(ref)
    assert world.rows() == []
    world.run(paris("2026-03-03", 12))
    world.run(paris("2026-03-20", 12))
    assert world.mails_to("efface@example.org") == []


def test_dry_run_prints_and_records_nothing(world):
    ref = world.lead("essai", paris("2026-01-05"))
    report = world.run(paris("2026-03-10"), dry_run=True)
    text = "\n".join(report.lines)
    assert f"[courriel] {ref} person_waiting → essai@example.org" in text and "excuser" in text
    assert "rappel sem-ess → claire@sem.example, malik@sem.example" in text
    assert f"[sans suite] {ref}" in text
    assert world.rows() == [] and world.inbox.messages == []
    assert world.repo.get(ref).flagged_at is None


def test_two_runs_cannot_claim_the_same_message(world):
    ref = world.lead("claim", paris("2026-03-02"))
    lead_id = world.repo.get(ref).id
    id_ = world.repo.followup_record(
        "k", "person_taken", lead_id, "email", "x@example.org", paris("2026-03-02")
    )
    assert (
        world.repo.followup_record(
            "k", "person_taken", lead_id, "email", "x@example.org", paris("2026-03-02")
        )
        is None
    )
    assert world.repo.followup_claim([id_]) == [id_]
    assert world.repo.followup_claim([id_]) == []


# -- the command line -----------------------------------------------------------------------------


def test_the_command_line_runs_the_loop(tmp_path, smtp):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    repo = LeadRepository(session_factory(make_engine(url)))
    ref = repo.save(
        {
            "confirmation_key": "k1",
            "conversation_id": "cli",
            "first_name": "Ada",
            "email": "ada@example.org",
            "offer_id": "reprise-cooperative",
            "consent_version": "v1",
            "created_at": "2026-03-02T09:00:00+00:00",
        }
    ).reference
    repo.change_status(ref, "pris_en_charge", "x@sem.example", at=paris("2026-03-03"))
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": url,
        "BOUSSOLE_SMTP_HOST": "127.0.0.1",
        "BOUSSOLE_SMTP_PORT": str(smtp.settings.port),
        "BOUSSOLE_SMTP_STARTTLS": "0",
        "BOUSSOLE_SECRET_KEY": "k",
        "BOUSSOLE_ROOT": str(ROOT),
    }

    def cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "bot", "follow-up", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )

    dry = cli("run", "--now", "2026-03-03T11:00:00+01:00", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "ada@example.org" in dry.stdout and "rien n'a été enregistré" in dry.stdout
    assert smtp.messages == []
    done = cli("run", "--now", "2026-03-03T11:00:00+01:00")
    assert done.returncode == 0, done.stderr
    assert "1 message(s) envoyé(s)" in done.stdout and len(smtp.messages) == 1
    again = cli("run", "--now", "2026-03-03")  # a date alone: 10:00 in Paris
    assert "0 message(s) envoyé(s)" in again.stdout and len(smtp.messages) == 1
    bad = cli("run", "--now", "mardi")
    assert bad.returncode == 2 and "n'est pas une date ISO" in bad.stderr


# -- the address of a messaging-app person --------------------------------------------------------


def test_a_telegram_lead_keeps_the_chat_to_write_back_to_and_nothing_else(world):
    import asyncio

    from bot.followup.addresses import ReplyAddresses, request
    from bot.rasa_ext.channels.telegram import TelegramOutput

    ref = world.lead(
        "telegram-abc", paris("2026-03-02"), channel="telegram", email=None, phone=None
    )
    other = world.lead(
        "telegram-def", paris("2026-03-02"), channel="telegram", email=None, phone=None
    )
    output = TelegramOutput(fp.TELEGRAM_TOKEN, world.platforms.url, 4242)
    output.addresses = ReplyAddresses(Settings(database_url=world.url))
    asyncio.run(output.send_custom_json("telegram-abc", request(ref)))
    # Another conversation's lead is never given this address.
    asyncio.run(output.send_custom_json("telegram-abc", request(other)))
    assert world.repo.get(ref).reply_address == "telegram:4242"
    assert world.repo.get(other).reply_address is None
    assert world.platforms.sent_to("4242") == []  # nothing was said to the person
    world.repo.change_status(ref, "pris_en_charge", "claire@sem.example", at=paris("2026-03-03"))
    world.run(paris("2026-03-03", 11))
    [call] = world.platforms.sent_to("4242")
    assert "prise en charge" in call.text


def test_no_address_is_kept_without_consent(world):
    ref = world.lead("telegram-x", paris("2026-03-02"), channel="telegram", consent_version=None)
    assert not world.repo.set_reply_address(ref, "telegram-x", "telegram:1")
    assert world.repo.get(ref).reply_address is None


def test_the_submit_action_asks_a_messaging_channel_for_its_address(leads_database):
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from actions.callback import ActionSubmitLead
    from bot.followup.addresses import REQUEST

    slots = {
        "first_name": "Léa",
        "last_name": "Martin",
        "email": "lea@example.org",
        "consent": "yes",
        "offer": "reprise-cooperative",
        "commune": "Firminy",
    }
    messages = {}
    for channel in ("telegram", "rest"):
        events = [
            {"event": "session_started", "timestamp": 1700000000.0},
            {
                "event": "user",
                "timestamp": 1700000001.0,
                "text": "oui",
                "input_channel": channel,
                "parse_data": {},
            },
        ]
        tracker = Tracker(
            f"{channel}-1", slots, {"text": "oui"}, events, False, None, None, "action_listen"
        )
        dispatcher = CollectingDispatcher()
        ActionSubmitLead().run(dispatcher, tracker, {})
        messages[channel] = [m.get("custom") for m in dispatcher.messages if m.get("custom")]
    [asked] = messages["telegram"]
    assert asked[REQUEST].startswith("ESS-") and set(asked) == {REQUEST}
    assert messages["rest"] == []


# -- « sans suite » in the inbox ------------------------------------------------------------------


def test_the_inbox_shows_and_filters_leads_flagged_without_news(world):
    from starlette.testclient import TestClient
    from test_web import PASSWORD, csrf, refs, web_settings

    from bot.workspace.web.app import create_app

    old = world.lead("oublie", paris("2026-01-05"))
    recent = world.lead("recent", paris("2026-03-02"))
    world.run(paris("2026-03-10"))
    Advisors(world.repo).add("admin@sem.example", "Admin", "sem-ess", "admin", PASSWORD)
    client = TestClient(create_app(web_settings(world.tmp), repository=world.repo))
    client.post(
        "/conseil/connexion",
        data={
            "email": "admin@sem.example",
            "password": PASSWORD,
            "csrf": csrf(client, "/conseil/connexion"),
        },
    )
    page = client.get("/conseil/").text
    assert {old, recent} <= refs(page) and page.count("sans suite : à décider") == 1
    assert refs(client.get("/conseil/?suite=sans_suite").text) == {old}
    odd = client.get("/conseil/?suite=%3Cscript%3E")
    assert odd.status_code == 200 and "<script>" not in odd.text
