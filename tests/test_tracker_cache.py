"""The tracker store with recent conversations in memory (bot/rasa_ext/trackers.py) loses and
mixes nothing.

Each test runs the store against a real SQLite file, next to Rasa's own SQL store reading the
same file: what one writes, the other reads, as two replicas would.
"""

import asyncio

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered

from bot.rasa_ext.trackers import CachedSQLTrackerStore
from bot.settings import ROOT


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "tracker.db")


def run(coroutine):
    return asyncio.run(coroutine)


def turn(text, intent, action, **slots):
    return [
        UserUttered(text, {"name": intent, "confidence": 1.0}),
        ActionExecuted(action),
        BotUttered(f"réponse à {text}"),
        *(SlotSet(name, value) for name, value in slots.items()),
        ActionExecuted("action_listen"),
    ]


def dialogue(tracker):
    """The events, without their timestamps (the two stores' events are made apart)."""
    return [{k: v for k, v in e.as_dict().items() if k != "timestamp"} for e in tracker.events]


def rows(db):
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as connection:
        return [
            tuple(r)
            for r in connection.execute(
                sa.text(
                    "SELECT sender_id, type_name, intent_name, action_name, data "
                    "FROM events ORDER BY id"
                )
            )
        ]


def test_a_conversation_is_stored_exactly_as_rasa_stores_it(domain, tmp_path, db):
    ours, rasas = (
        CachedSQLTrackerStore(domain, db=db),
        SQLTrackerStore(domain, db=str(tmp_path / "r.db")),
    )
    for store in (ours, rasas):
        tracker = run(store.get_or_create_tracker("alex"))
        for step in (
            turn("bonjour", "greet", "action_greet"),
            turn("une scop", "describe_project", "action_orient", stage="idee"),
            turn("merci", "thanks", "utter_thanks"),
        ):
            tracker = run(store.retrieve("alex")) or tracker
            tracker.update_with_events(step, domain)
            run(store.save(tracker))
    assert dialogue(run(rasas.retrieve("alex"))) == dialogue(run(ours.retrieve("alex")))
    assert dialogue(run(SQLTrackerStore(domain, db=db).retrieve("alex"))) == dialogue(
        run(rasas.retrieve("alex"))
    )
    ours_rows = [r[:4] for r in rows(db)]
    assert ours_rows == [r[:4] for r in rows(tmp_path / "r.db")]
    assert run(ours.retrieve("alex")).get_slot("stage") == "idee"
    assert run(ours.retrieve("alex")) is run(ours.retrieve("alex"))  # served from memory


def test_turns_written_by_another_replica_are_seen(domain, db):
    replica_a, replica_b = (
        CachedSQLTrackerStore(domain, db=db),
        CachedSQLTrackerStore(domain, db=db),
    )
    tracker = run(replica_a.get_or_create_tracker("sam"))
    tracker.update_with_events(turn("bonjour", "greet", "action_greet"), domain)
    run(replica_a.save(tracker))
    in_memory = run(replica_a.retrieve("sam"))  # now in replica A's memory

    other = run(replica_b.retrieve("sam"))
    other.update_with_events(
        turn("je reprends", "describe_project", "action_orient", stage="reprise"), domain
    )
    run(replica_b.save(other))

    seen_by_a = run(replica_a.retrieve("sam"))
    assert seen_by_a.get_slot("stage") == "reprise"
    assert seen_by_a is in_memory  # B's rows applied, not a rebuild
    assert dialogue(seen_by_a) == dialogue(run(replica_b.retrieve("sam")))
    # and A's next turn is appended after B's, not over it
    seen_by_a.update_with_events(turn("merci", "thanks", "utter_thanks"), domain)
    run(replica_a.save(seen_by_a))
    texts = [
        e.text
        for e in run(SQLTrackerStore(domain, db=db).retrieve("sam")).events
        if isinstance(e, UserUttered)
    ]
    assert texts == ["bonjour", "je reprends", "merci"]


def test_rows_replaced_by_another_writer_mean_a_rebuild(domain, db):
    store, other = CachedSQLTrackerStore(domain, db=db), CachedSQLTrackerStore(domain, db=db)
    tracker = run(store.get_or_create_tracker("kim"))
    tracker.update_with_events(turn("bonjour", "greet", "action_greet"), domain)
    run(store.save(tracker))
    in_memory = run(store.retrieve("kim"))
    with sa.create_engine(f"sqlite:///{db}").begin() as connection:  # one row gone…
        connection.execute(sa.text("DELETE FROM events WHERE id = (SELECT max(id) FROM events)"))
    replaced = run(other.retrieve("kim"))  # …and one written by another process
    replaced.update_with_events([SlotSet("stage", "jeune")], domain)
    run(other.save(replaced))
    again = run(store.retrieve("kim"))
    assert again is not in_memory and again.get_slot("stage") == "jeune"
    assert dialogue(again) == dialogue(run(SQLTrackerStore(domain, db=db).retrieve("kim")))


def test_an_erased_conversation_is_not_served_from_memory(domain, db):
    store = CachedSQLTrackerStore(domain, db=db)
    tracker = run(store.get_or_create_tracker("eve"))
    tracker.update_with_events(turn("mon numéro 06 12 34 56 78", "inform", "contact_form"), domain)
    run(store.save(tracker))
    assert run(store.retrieve("eve")) is not None
    # bot.workspace.privacy's erasure
    with sa.create_engine(f"sqlite:///{db}").begin() as connection:
        connection.execute(sa.text("DELETE FROM events WHERE sender_id = 'eve'"))
    assert run(store.retrieve("eve")) is None


def test_a_turn_that_failed_half_way_is_not_kept(domain, db):
    store = CachedSQLTrackerStore(domain, db=db)
    tracker = run(store.get_or_create_tracker("lou"))
    tracker.update_with_events(turn("bonjour", "greet", "action_greet"), domain)
    run(store.save(tracker))
    tracker = run(store.retrieve("lou"))
    tracker.update_with_events(
        turn("une asso", "describe_project", "action_orient", stage="existante"), domain
    )  # never saved: the turn failed
    again = run(store.retrieve("lou"))
    assert again.get_slot("stage") is None
    assert [e.text for e in again.events if isinstance(e, UserUttered)] == ["bonjour"]


def test_a_new_session_starts_from_the_new_session_only(domain, db):
    store = CachedSQLTrackerStore(domain, db=db)
    tracker = run(store.get_or_create_tracker("max"))
    tracker.update_with_events(turn("bonjour", "greet", "action_greet", stage="idee"), domain)
    run(store.save(tracker))
    tracker = run(store.retrieve("max"))
    tracker.update_with_events(
        [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")],
        domain,
    )
    run(store.save(tracker))
    assert dialogue(run(store.retrieve("max"))) == dialogue(
        run(SQLTrackerStore(domain, db=db).retrieve("max"))
    )
    assert not any(isinstance(e, UserUttered) for e in run(store.retrieve("max")).events)


def test_a_new_conversation_is_kept_from_its_first_turn(domain, tmp_path, db):
    store = CachedSQLTrackerStore(domain, db=db)
    tracker = run(store.get_or_create_tracker("noa"))  # no row yet: created, then kept
    tracker.update_with_events(turn("bonjour", "greet", "action_greet"), domain)
    run(store.save(tracker))
    assert run(store.retrieve("noa")) is tracker  # the second turn reads no events
    assert dialogue(run(SQLTrackerStore(domain, db=db).retrieve("noa"))) == dialogue(tracker)
    rasas = SQLTrackerStore(domain, db=str(tmp_path / "r.db"))
    theirs = run(rasas.get_or_create_tracker("noa"))
    theirs.update_with_events(turn("bonjour", "greet", "action_greet"), domain)
    run(rasas.save(theirs))
    assert [r[:4] for r in rows(db)] == [r[:4] for r in rows(tmp_path / "r.db")]


def test_the_embedded_sqlite_file_does_not_wait_for_the_disk_at_each_commit(domain, db):
    store = CachedSQLTrackerStore(domain, db=db)
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
