"""Ticket locks shared by the Rasa worker processes of one machine, in a SQLite file.

Rasa serves a conversation's turns one at a time thanks to its lock store; its in-memory store
works for one process only, so Rasa refuses several Sanic workers without Redis. The embedded
default must not ask for a server to install: this store keeps each conversation's ticket lock
in SQLite, and every read-modify-write of a lock (issue a ticket, drop expired ones, finish,
clean up) runs inside one `BEGIN IMMEDIATE` transaction — SQLite's write lock makes it atomic
across the workers, which is what Rasa's own Redis store lacks (see bot/rasa_ext/locks.py).

Configured by `bot.ops.servers` when it starts Rasa with more than one worker:
`lock_store: {type: bot.rasa_ext.local_locks.SQLiteLockStore, db: var/locks.db}`.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LockStore

from bot.rasa_ext.locks import AtomicTickets

WAIT_SECONDS = 0.02  # a waiting turn checks its turn this often (Rasa: every second)


class SQLiteLockStore(AtomicTickets, LockStore):
    poll_seconds = WAIT_SECONDS

    def __init__(self, endpoint_config: Any = None, db: str = "var/locks.db") -> None:
        if endpoint_config is not None:  # how Rasa creates a lock store named by module path
            db = endpoint_config.kwargs.get("db", db)
        self.path = Path(db)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        self._db().execute(
            "CREATE TABLE IF NOT EXISTS locks (conversation_id TEXT PRIMARY KEY,"
            " data TEXT NOT NULL)"
        )

    def _db(self) -> sqlite3.Connection:
        """This process's connection (a forked worker opens its own)."""
        if self._connection is None or self._pid != os.getpid():
            self._connection = sqlite3.connect(
                self.path, timeout=10, isolation_level=None, check_same_thread=False
            )
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA synchronous=NORMAL")
            self._pid = os.getpid()
        return self._connection

    @contextmanager
    def _atomic(self, conversation_id: str) -> Iterator[None]:
        """One write transaction: SQLite's lock makes it atomic across the workers."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # Rasa's storage interface
    def get_lock(self, conversation_id: str) -> TicketLock | None:
        row = (
            self._db()
            .execute("SELECT data FROM locks WHERE conversation_id = ?", (conversation_id,))
            .fetchone()
        )
        return TicketLock.from_dict(json.loads(row[0])) if row else None

    def delete_lock(self, conversation_id: str) -> None:
        self._db().execute("DELETE FROM locks WHERE conversation_id = ?", (conversation_id,))

    def save_lock(self, lock: TicketLock) -> None:
        self._db().execute(
            "INSERT OR REPLACE INTO locks (conversation_id, data) VALUES (?, ?)",
            (lock.conversation_id, lock.dumps()),
        )
