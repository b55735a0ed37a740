"""Erasing a person's data: their leads and the conversation events in Rasa's tracker store.

Rasa writes the events of the current turn *after* the action that asked for the erasure, and
its SQL tracker store re-inserts every event it does not find; so the tracker rows are deleted
now and once more shortly after the turn, when Rasa has saved it.

The tracker store's URL is the caller's (`Settings.trackers_url`); a caller that gives none gets
the environment's settings (`Settings.from_env()`).
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from bot.settings import Settings

if TYPE_CHECKING:
    from bot.leads.repository import LeadRepository

log = logging.getLogger(__name__)
ERASE_AGAIN_AFTER = (2.0, 8.0)  # seconds


def tracker_store_url(settings: Settings | None = None) -> str:
    return (settings or Settings.from_env()).trackers_url


@lru_cache(maxsize=4)
def tracker_engine(url: str | None = None) -> Engine:
    """One engine (and connection pool) per tracker-store URL, shared by this process."""
    return create_engine(url or tracker_store_url(), future=True)


def _delete_events(where: str, params: dict, url: str | None) -> int:
    """DELETE FROM Rasa's `events` table; 0 when the table does not exist yet."""
    with tracker_engine(url).begin() as connection:
        try:
            result = connection.execute(text(f"DELETE FROM events WHERE {where}"), params)
        except Exception:  # noqa: BLE001 - no tracker table yet: nothing to delete
            return 0
        return result.rowcount or 0


def erase_tracker_events(sender_id: str, url: str | None = None) -> int:
    return _delete_events("sender_id = :s", {"s": sender_id}, url)


def purge_tracker_events(
    older_than_seconds: float, now: float | None = None, url: str | None = None
) -> int:
    """Delete conversation events older than the limit; return how many rows went."""
    import time

    return _delete_events("timestamp < :t", {"t": (now or time.time()) - older_than_seconds}, url)


def erase_conversation(
    sender_id: str,
    url: str | None = None,
    again_after: tuple[float, ...] = ERASE_AGAIN_AFTER,
    channel: str = "inconnu",
    repository: LeadRepository | None = None,
) -> int:
    """Erase tracker events and leads (of `repository`, by default the process's) now, tracker
    events again after the turn; record the erasure (counts only); return the lead count."""
    if repository is None:
        from bot.leads.service import get_repository

        repository = get_repository()
    events = erase_tracker_events(sender_id, url)
    leads = repository.erase_conversation(sender_id, channel=channel, tracker_events=events)
    for delay in again_after:
        timer = threading.Timer(delay, erase_tracker_events, args=(sender_id, url))
        timer.daemon = True
        timer.start()
    log.info("erased conversation data (leads: %d, tracker events: %d)", leads, events)
    return leads
