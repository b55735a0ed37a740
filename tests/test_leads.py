"""Leads in a real database: written once, qualified, audited, exported, erased, never lost."""

import csv
import io
import json
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bot.leads import statuses
from bot.leads.db import make_engine, session_factory
from bot.leads.export import to_csv, to_jsonl
from bot.leads.models import Lead, StatusChange
from bot.leads.outbox import Outbox, submit
from bot.leads.qualification import INCOMPLETE, OFF_TERRITORY, QUALIFIED, qualify
from bot.leads.repository import LeadRepository, confirmation_key

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def repo(db_url):
    return LeadRepository(session_factory(make_engine(db_url)))


def draft(conversation="conv-1", message="msg-1", **over):
    values = dict(
        confirmation_key=confirmation_key(conversation, message),
        conversation_id=conversation,
        channel="rest",
        first_name="Léa",
        last_name="Martin",
        email="lea.martin@example.org",
        phone="+33612345678",
        commune="Firminy",
        commune_insee="42095",
        on_territory=True,
        project_summary="Reprendre la menuiserie de notre patron en SCOP avec six collègues",
        facts={"intent": "situation_reprise_cooperative", "legal_forms": ["SCOP"]},
        offer_id="reprise-cooperative",
        alternatives=[{"offer": "forme-juridique", "confidence": 0.04}],
        confidence=0.93,
        explanation="Parce que…",
        consent_version="2026-11-v1",
        consent_at="2026-11-26T10:00:00+00:00",
    )
    values.update(over)
    return values


def test_a_confirmed_lead_gets_a_reference_a_level_and_its_organisation(repo):
    saved = repo.save(draft())
    assert saved.created and saved.reference == f"ESS-{datetime.now().year}-0001"
    lead = repo.get(saved.reference)
    assert lead.level == QUALIFIED and lead.score >= 70 and lead.status == "nouveau"
    assert lead.organisation_id == "sem-ess" and lead.offer_id == "reprise-cooperative"
    assert lead.facts["legal_forms"] == ["SCOP"] and lead.consent_version == "2026-11-v1"


def test_the_same_confirmation_is_written_exactly_once(repo, db_url):
    first, second = repo.save(draft()), repo.save(draft())
    assert first.reference == second.reference and not second.created
    with session_factory(make_engine(db_url))() as s:
        assert s.scalar(select(func.count()).select_from(Lead)) == 1


def test_two_conversations_confirming_at_the_same_time_give_two_leads(repo):
    results, errors = [], []

    def confirm(conversation):
        try:
            results.append(repo.save(draft(conversation)))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=confirm, args=(c,)) for c in ("a", "b", "a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 4
    assert len({r.reference for r in results}) == 2
    assert sum(r.created for r in results) == 2


def test_youth_offers_go_to_their_partner_organisation(repo):
    ref = repo.save(draft(offer_id="beelys")).reference
    assert repo.get(ref).organisation_id == "pepite-beelys"


def test_qualification_levels():
    assert qualify(draft())[1] == QUALIFIED
    assert qualify(draft(on_territory=False, commune="Lyon"))[1] == OFF_TERRITORY
    assert qualify(draft(consent_version=None))[1] == INCOMPLETE
    assert qualify(draft(email=None, phone=None))[1] == INCOMPLETE


def test_status_changes_follow_the_state_machine_and_are_audited(repo):
    ref = repo.save(draft()).reference
    with pytest.raises(statuses.TransitionError):
        repo.change_status(ref, "aide_proposee", "conseillere@sem.fr")
    repo.change_status(ref, "pris_en_charge", "conseillere@sem.fr", "Appel prévu mardi")
    repo.change_status(ref, "aide_proposee", "conseillere@sem.fr")
    history = repo.get(ref).history
    assert [(h.from_status, h.to_status, h.actor) for h in history] == [
        (None, "nouveau", "assistant"),
        ("nouveau", "pris_en_charge", "conseillere@sem.fr"),
        ("pris_en_charge", "aide_proposee", "conseillere@sem.fr"),
    ]
    assert history[1].comment == "Appel prévu mardi"


def test_erasing_a_conversation_removes_its_leads_and_history(repo, db_url):
    repo.save(draft("keep"))
    repo.save(draft("erase"))
    repo.record_misunderstood("erase", "blabla", [{"name": "greet", "confidence": 0.2}])
    assert repo.erase_conversation("erase") == 1
    with session_factory(make_engine(db_url))() as s:
        assert [lead.conversation_id for lead in s.scalars(select(Lead))] == ["keep"]
        assert s.scalar(select(func.count()).select_from(StatusChange)) == 1


def test_purge_removes_only_old_leads(repo):
    old = datetime.now(timezone.utc) - timedelta(days=400)
    repo.save(draft("old", created_at=old.isoformat()))
    repo.save(draft("new"))
    assert repo.purge(timedelta(days=365)) == 1
    assert [lead.conversation_id for lead in repo.list()] == ["new"]


def test_leads_are_sorted_by_qualification_then_age(repo):
    repo.save(draft("incomplete", consent_version=None))
    repo.save(draft("qualified-new"))
    repo.save(draft("qualified-old", created_at="2026-01-02T09:00:00+00:00"))
    assert [lead.conversation_id for lead in repo.list()] == [
        "qualified-old",
        "qualified-new",
        "incomplete",
    ]


def test_csv_opens_in_a_french_spreadsheet_and_neutralises_formulas(repo):
    repo.save(
        draft(
            last_name='=HYPERLINK("http://x")',
            structure_name="@SUM(A1)",
            project_summary="-2+3 <script>alert(1)</script>",
        )
    )
    text = to_csv(repo.list())
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[0]["last_name"].startswith("'=") and rows[0]["structure_name"] == "'@SUM(A1)"
    assert rows[0]["project_summary"].startswith("'-2+3")
    assert rows[0]["confidence"] == "0,93" and rows[0]["on_territory"] == "oui"


def test_jsonl_export_has_every_field_an_advisor_needs(repo):
    repo.save(draft())
    [row] = [json.loads(lead) for lead in to_jsonl(repo.list()).splitlines()]
    for key in (
        "reference",
        "offer_id",
        "facts",
        "score",
        "level",
        "consent_version",
        "transcript",
        "alternatives",
        "explanation",
        "commune_insee",
    ):
        assert row[key] not in (None, "", {}), key
    assert row["transcript"]["conversation_id"] == "conv-1"


def test_a_lead_survives_a_database_outage(tmp_path, db_url):
    broken = LeadRepository(
        session_factory(make_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}"))
    )
    outbox = Outbox(tmp_path / "outbox.jsonl")
    result = submit(draft(), broken, outbox)
    assert result.status == "queued" and result.reference is None
    assert len(outbox.pending()) == 1
    working = LeadRepository(session_factory(make_engine(db_url)))
    again = submit(draft("other"), working, outbox)
    assert again.status == "saved" and outbox.pending() == []
    assert {lead.conversation_id for lead in working.list()} == {"conv-1", "other"}
    assert outbox.drain(working) == 0


def test_cli_lists_and_exports(tmp_path, db_url):
    LeadRepository(session_factory(make_engine(db_url))).save(draft())
    env = {
        "DATABASE_URL": db_url,
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
    }
    listed = subprocess.run(
        [sys.executable, "-m", "bot", "leads", "list"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert listed.returncode == 0 and "ESS-" in listed.stdout and "Martin" in listed.stdout
    exported = subprocess.run(
        [sys.executable, "-m", "bot", "leads", "export", "--format", "jsonl"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert json.loads(exported.stdout)["offer_id"] == "reprise-cooperative"
    purge = subprocess.run(
        [sys.executable, "-m", "bot", "purge", "--older-than", "365d"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert purge.returncode == 0 and purge.stdout.startswith("0 demande(s) et 0 événement")


def test_purge_removes_old_conversation_events(tmp_path):
    from sqlalchemy import create_engine

    from bot.workspace.privacy import purge_tracker_events

    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = create_engine(url, future=True)
    with engine.begin() as c:
        c.execute(
            text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, timestamp FLOAT)")
        )
        c.execute(
            text(
                "INSERT INTO events (sender_id, timestamp) VALUES "
                "('old', 1000.0), ('new', 2000000000.0)"
            )
        )
    assert purge_tracker_events(365 * 86400, now=1900000000.0, url=url) == 1
    with engine.connect() as c:
        assert [r[0] for r in c.execute(text("SELECT sender_id FROM events"))] == ["new"]


def test_an_erased_leads_reference_is_never_given_to_anyone_else(repo):
    repo.save(draft("first"))
    erased = repo.save(draft("erased")).reference
    assert repo.erase_conversation("erased") == 1
    after = repo.save(draft("next")).reference
    assert after != erased
    assert int(after.rsplit("-", 1)[1]) > int(erased.rsplit("-", 1)[1])


def test_an_erasure_is_recorded_with_counts_and_nothing_personal(repo):
    repo.save(draft("erase-me"))
    repo.record_misunderstood("erase-me", "blabla", [{"name": "greet", "confidence": 0.2}])
    repo.erase_conversation("erase-me", channel="telegram", tracker_events=12)
    [erasure] = repo.erasures()
    assert (erasure.channel, erasure.requested_by, erasure.leads, erasure.tracker_events) == (
        "telegram",
        "person",
        1,
        12,
    )
    assert erasure.rows == 3  # the lead, its first status change, the misunderstood message
    assert erasure.at is not None
    columns = {c.name for c in erasure.__table__.columns}
    assert columns == {"id", "at", "channel", "requested_by", "leads", "rows", "tracker_events"}
