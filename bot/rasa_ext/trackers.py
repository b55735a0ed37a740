"""Rasa's SQL tracker store, made to fail loudly when the database is away.

Rasa 3.6 wraps every tracker store in `FailSafeTrackerStore`, which turns a failed read into
"no such conversation" and a failed write into a copy kept in the replica's memory. With
PostgreSQL restarting, a conversation in the middle of a call-back request would then start
over (a new session appended to the old one: its details forgotten), or a turn would be
answered but never stored. Measured on the local cluster: conversations restarted mid-form
while PostgreSQL was restarted.

This store raises `TrackerStoreUnavailable` instead. It derives from BaseException so that the
fail-safe wrapper (which catches Exception) lets it through; the guarded REST channel
(`bot.rasa_ext.guarded_rest`) turns it into a clear HTTP 503, and the turn can be sent again: a turn
whose tracker could not be read changed nothing, and one whose tracker could not be written is
simply processed again (a lead's confirmation is idempotent). Connections are checked before
use, so the first turn after a database restart does not fail on a stale connection.

Configured by `python -m bot deploy` as
`tracker_store: type: bot.rasa_ext.trackers.StrictSQLTrackerStore`.

Both stores here also keep the trackers of recent conversations in the process's memory
(`CachedSQLTrackerStore`, the embedded default in `endpoints.yml`): Rasa's own store rebuilds the
tracker from every event of the session at each turn and counts the stored events before each
write, about 9 ms of CPU per turn (see docs/performance.md).
"""

from __future__ import annotations

import itertools
import json
import logging
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import Event, SessionStarted, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.rasa_ext import rasa_fixes

log = logging.getLogger(__name__)
rasa_fixes.apply()  # production replicas load this module: see bot/rasa_ext/rasa_fixes.py


class TrackerStoreUnavailable(BaseException):
    """The conversation store cannot be read or written now; nothing was half-done."""


# A conversation's rows in the database: how many, the highest id and that row's timestamp
# (SQLite may give a deleted row's id to the next row written; the timestamp tells them apart).
Fingerprint = tuple[int, int | None, float | None]


@dataclass
class _Cached:
    tracker: DialogueStateTracker
    stored: int  # how many of tracker.events are in the database
    fingerprint: Fingerprint


class CachedSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store, keeping the trackers of recent conversations in memory.

    A tracker is served from memory only when the database still holds exactly the rows this
    process wrote for that conversation — same number of rows, same highest row id and its
    timestamp, checked with one query per turn — and the tracker was not changed since it was saved
    (a turn that failed half-way). Rows simply appended since by another process (the other
    replica served the previous turn) are read and applied to the tracker in memory. Anything
    else (an erasure, a purge, a new session) rebuilds the tracker from the database as Rasa
    does. Writes insert the events added since the last save, without Rasa's counting query.
    A new conversation (no row yet) is written whole and kept from its first turn: before, its
    first turn went down Rasa's path three times (create, count, rebuild) — a third of the
    Rasa server's time under load (docs/performance.md).

    On SQLite (the embedded default) the file is in WAL mode with `synchronous=NORMAL`: a
    commit no longer waits for the disk while the event loop stands still (each turn commits
    twice); a power cut may lose the last turns, never corrupt the file. The leads database
    keeps its own, stricter settings (bot/leads/db.py).
    """

    cache_size = 2000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cache: OrderedDict[str, _Cached] = OrderedDict()
        url = self.engine.url
        self.engine.dispose()
        self.engine = self._engine(url)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self._statements()

    @staticmethod
    def _engine(url: sa.engine.URL, **kwargs: Any) -> sa.engine.Engine:
        if url.get_backend_name() != "sqlite":
            return sa.create_engine(url, **create_engine_kwargs(url), **kwargs)
        # SQLAlchemy 1.4 opens and closes a file's connection per session (NullPool), and
        # closing the last connection checkpoints the WAL: a pool keeps them open.
        engine = sa.create_engine(
            url,
            poolclass=sa.pool.QueuePool,
            pool_size=2,
            connect_args={"check_same_thread": False, "timeout": 30},
            **kwargs,
        )

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine

    def _statements(self) -> None:
        """The queries of each turn, built once as SQLAlchemy Core statements: the ORM's query
        building and unit of work cost more CPU than the queries (docs/performance.md)."""
        events = self.SQLEvent.__table__
        sender = events.c.sender_id == sa.bindparam("sender_id")
        last = (
            sa.select(events.c.timestamp)
            .where(sender)
            .order_by(events.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        self._count_query = sa.select(
            sa.func.count(events.c.id), sa.func.max(events.c.id), last
        ).where(sender)
        self._since_query = (
            sa.select(events.c.data, events.c.timestamp)
            .where(
                sender,
                events.c.id > sa.bindparam("after"),
                events.c.id <= sa.bindparam("upto"),
            )
            .order_by(events.c.id)
        )
        self._insert = events.insert()

    def _fingerprint(self, session: Any, sender_id: str) -> Fingerprint:
        rows, highest, timestamp = session.execute(
            self._count_query, {"sender_id": sender_id}
        ).one()
        return int(rows), highest, timestamp

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        cached = self._cache.pop(sender_id, None)
        with self.session_scope() as session:
            # Taken before the events are read: a write in between can only cause a miss.
            fingerprint = self._fingerprint(session, sender_id)
            if cached is not None and len(cached.tracker.events) == cached.stored:
                if cached.fingerprint == fingerprint or self._catch_up(
                    session, cached, fingerprint
                ):
                    self._remember(_Cached(cached.tracker, len(cached.tracker.events), fingerprint))
                    return cached.tracker
        if fingerprint[0] == 0:
            return None  # a new (or erased) conversation: nothing to rebuild
        tracker = await super().retrieve(sender_id)
        if tracker is not None and tracker.events.maxlen is None:
            self._remember(_Cached(tracker, len(tracker.events), fingerprint))
        return tracker

    def _catch_up(self, session: Any, cached: _Cached, fingerprint: Fingerprint) -> bool:
        """Applies the rows written since by another process (another replica's turn) to the
        tracker in memory; False, and nothing applied, unless they are exactly the new rows."""
        rows_before, highest_before, _ = cached.fingerprint
        added = fingerprint[0] - rows_before
        if highest_before is None or added <= 0 or fingerprint[1] is None:
            return False
        rows = session.execute(
            self._since_query,
            {
                "sender_id": cached.tracker.sender_id,
                "after": highest_before,
                "upto": fingerprint[1],
            },
        ).all()
        if len(rows) != added or rows[-1].timestamp != fingerprint[2]:
            return False  # rows deleted or written meanwhile: rebuild instead
        new_events = deserialise_events([json.loads(row.data) for row in rows])
        if len(new_events) != added or any(isinstance(e, SessionStarted) for e in new_events):
            return False
        for new_event in new_events:
            cached.tracker.update(new_event)
        return True

    def _remember(self, entry: _Cached) -> None:
        self._cache[entry.tracker.sender_id] = entry
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    async def save(self, tracker: DialogueStateTracker) -> None:
        cached = self._cache.pop(tracker.sender_id, None)
        if cached is not None and cached.tracker is tracker:
            await self._append(
                tracker,
                cached.stored,
                cached.fingerprint,
                keep=lambda new: not any(isinstance(e, SessionStarted) for e in new),
            )
            return
        if cached is None and tracker.events.maxlen is None:
            with self.session_scope() as session:
                before = self._fingerprint(session, tracker.sender_id)
            if before[0] == 0:
                # A new conversation: all its events are new, and the tracker in memory is
                # what a rebuild would give (nothing before its first session).
                await self._append(tracker, 0, before, keep=lambda new: True)
                return
        await super().save(tracker)  # Rasa's way: count what is stored, insert the rest

    async def _append(
        self, tracker: DialogueStateTracker, stored: int, fingerprint: Fingerprint, keep
    ) -> None:
        """Inserts tracker.events[stored:], then keeps the tracker if `keep(new events)`."""
        await self.stream_events(tracker)
        new = list(itertools.islice(tracker.events, stored, None))
        rows = [self._row(tracker.sender_id, event) for event in new]
        last = fingerprint[1:]
        with self.session_scope() as session:
            if len(rows) > 1:
                session.execute(self._insert, rows[:-1])
            if rows:  # the last row on its own, for its id
                inserted = session.execute(self._insert, rows[-1])
                last = (inserted.inserted_primary_key[0], rows[-1]["timestamp"])
            session.commit()
        if keep(new):
            # Another writer in between makes the real fingerprint differ: a miss, not an error.
            self._remember(
                _Cached(tracker, len(tracker.events), (fingerprint[0] + len(rows), *last))
            )

    @staticmethod
    def _row(sender_id: str, event: Event) -> dict[str, Any]:
        """The same row as Rasa's `SQLTrackerStore.save` writes."""
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }


class StrictSQLTrackerStore(CachedSQLTrackerStore):
    @staticmethod
    def _engine(url: sa.engine.URL, **kwargs: Any) -> sa.engine.Engine:
        return CachedSQLTrackerStore._engine(url, pool_pre_ping=True, **kwargs)

    @staticmethod
    def _unavailable(exc: Exception) -> TrackerStoreUnavailable:
        log.error(
            "tracker store unavailable",
            extra={"event": "tracker_store_error", "reason": type(exc).__name__},
        )
        return TrackerStoreUnavailable(type(exc).__name__)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        try:
            return await super().retrieve(sender_id)
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            raise self._unavailable(exc) from exc

    async def retrieve_full_tracker(self, conversation_id: str) -> DialogueStateTracker | None:
        try:
            return await super().retrieve_full_tracker(conversation_id)
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            raise self._unavailable(exc) from exc

    async def save(self, tracker: DialogueStateTracker) -> None:
        try:
            await super().save(tracker)
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            raise self._unavailable(exc) from exc

    async def keys(self) -> Iterable[str]:
        try:
            return await super().keys()
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            raise self._unavailable(exc) from exc
