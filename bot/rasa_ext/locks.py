"""Rasa 3.6's Redis lock store, made safe for several replicas.

Rasa Open Source 3.6's `RedisLockStore` keeps each conversation's ticket lock as one JSON value
and changes it by read-modify-write: get the lock, issue or remove a ticket, save it. Two
replicas doing that at the same moment lose one write — two turns get the same ticket and run
together, or a finishing turn deletes the lock while another waits, which then fails with
"Could not acquire lock" (measured here: a few of 40 simultaneous messages of one conversation
failed that way). Rasa Pro's `ConcurrentRedisLockStore` fixes it; this class does the same with
a short Redis mutex (SET NX with expiry) around each read-modify-write, so every change of a
conversation's lock is atomic across replicas. Everything else is Rasa's. `AtomicTickets` holds
those read-modify-writes for any store that can make a block atomic: the SQLite store of the
embedded default's workers (bot/rasa_ext/local_locks.py) uses it too.

Configured by `python -m bot deploy` as `lock_store: type: bot.rasa_ext.locks.AtomicRedisLockStore`
with the same parameters as Rasa's `type: redis`.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore

log = logging.getLogger(__name__)
MUTEX_SECONDS = 5  # the mutex's expiry, should a replica die holding it
POLL_SECONDS = 0.05  # a waiting turn checks its turn this often (Rasa: every second)


class AtomicTickets:
    """Rasa's ticket-lock read-modify-writes (issue, update, finish, clean up), each run inside
    `self._atomic(conversation_id)` — a Redis mutex or a SQLite write transaction — and a
    waiting turn polling every `poll_seconds` instead of Rasa's second. Mixed in before a
    `LockStore` that provides the storage (get, save, delete)."""

    poll_seconds = POLL_SECONDS

    def _atomic(self, conversation_id: str):
        raise NotImplementedError

    def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_SECONDS,
    ):
        return super().lock(
            conversation_id, lock_lifetime, min(wait_time_in_seconds, self.poll_seconds)
        )

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            with self._atomic(conversation_id):
                lock = self.get_or_create_lock(conversation_id)
                ticket = lock.issue_ticket(lock_lifetime)
                self.save_lock(lock)
                return ticket
        except Exception as exc:  # noqa: BLE001 - store unreachable: Rasa's own error type
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc

    def update_lock(self, conversation_id: str) -> None:
        with self._atomic(conversation_id):
            super().update_lock(conversation_id)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        with self._atomic(conversation_id):
            super().finish_serving(conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove this turn's ticket; delete the lock only if no one else holds a ticket."""
        with self._atomic(conversation_id):
            lock: TicketLock | None = self.get_lock(conversation_id)
            if lock is None:
                return
            lock.remove_ticket_for(ticket_number)
            if lock.is_someone_waiting():
                self.save_lock(lock)
            else:
                self.delete_lock(conversation_id)


class AtomicRedisLockStore(AtomicTickets, RedisLockStore):
    def __init__(self, endpoint_config: Any = None, **kwargs: Any) -> None:
        if endpoint_config is not None:  # how Rasa creates a lock store named by module path
            kwargs = {**endpoint_config.kwargs, "host": endpoint_config.url or "localhost"}
        super().__init__(**kwargs)

    def _atomic(self, conversation_id: str):
        return self.red.lock(
            f"{self.key_prefix}mutex:{conversation_id}",
            timeout=MUTEX_SECONDS,
            blocking_timeout=MUTEX_SECONDS,
            sleep=0.002,
        )
