"""Rasa's SQL tracker store, made to fail loudly when the database is away.

Rasa 3.6 wraps every tracker store in `FailSafeTrackerStore`, which turns a failed read into
"no such conversation" and a failed write into a copy kept in the replica's memory. With
PostgreSQL restarting, a conversation in the middle of a call-back request would then start
over (a new session appended to the old one: its details forgotten), or a turn would be
answered but never stored. Measured on the local cluster: conversations restarted mid-form
while PostgreSQL was restarted.

This store raises `TrackerStoreUnavailable` instead. It derives from BaseException so that the
fail-safe wrapper (which catches Exception) lets it through; the guarded REST channel
(`bot.guarded_rest`) turns it into a clear HTTP 503, and the turn can be sent again: a turn
whose tracker could not be read changed nothing, and one whose tracker could not be written is
simply processed again (a lead's confirmation is idempotent). Connections are checked before
use, so the first turn after a database restart does not fail on a stale connection.

Configured by `python -m bot deploy` as `tracker_store: type: bot.trackers.StrictSQLTrackerStore`.
"""
from __future__ import annotations

import logging
from typing import Any, Iterable, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.trackers import DialogueStateTracker

from bot import rasa_fixes

log = logging.getLogger(__name__)
rasa_fixes.apply()   # production replicas load this module: see bot/rasa_fixes.py


class TrackerStoreUnavailable(BaseException):
    """The conversation store cannot be read or written now; nothing was half-done."""


class StrictSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    @staticmethod
    def _unavailable(exc: Exception) -> TrackerStoreUnavailable:
        log.error("tracker store unavailable",
                  extra={"event": "tracker_store_error", "reason": type(exc).__name__})
        return TrackerStoreUnavailable(type(exc).__name__)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        try:
            return await super().retrieve(sender_id)
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            raise self._unavailable(exc) from exc

    async def retrieve_full_tracker(self, conversation_id: Text
                                    ) -> Optional[DialogueStateTracker]:
        try:
            return await super().retrieve_full_tracker(conversation_id)
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            raise self._unavailable(exc) from exc

    async def save(self, tracker: DialogueStateTracker) -> None:
        try:
            await super().save(tracker)
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            raise self._unavailable(exc) from exc

    async def keys(self) -> Iterable[Text]:
        try:
            return await super().keys()
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            raise self._unavailable(exc) from exc
