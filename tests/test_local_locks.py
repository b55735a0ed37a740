"""Turns of one conversation served by several Rasa worker processes never overlap."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from pathlib import Path

from bot.rasa_ext.local_locks import SQLiteLockStore


def _turns(db: str, counter: str, turns: int) -> None:
    store = SQLiteLockStore(db=db)

    async def run() -> None:
        for _ in range(turns):
            async with store.lock("alex"):
                # read, wait, write: two turns at once would lose an increment
                value = int(Path(counter).read_text())
                time.sleep(0.005)
                Path(counter).write_text(str(value + 1))

    asyncio.run(run())


def test_two_workers_serve_one_conversation_one_turn_at_a_time(tmp_path):
    db, counter = str(tmp_path / "locks.db"), tmp_path / "turns"
    counter.write_text("0")
    SQLiteLockStore(db=db)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_turns, args=(db, str(counter), 15)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]
    assert counter.read_text() == "45"
    assert SQLiteLockStore(db=db).get_lock("alex") is None  # nothing left behind


def test_tickets_are_issued_in_order_and_a_lock_is_kept_while_someone_waits(tmp_path):
    store = SQLiteLockStore(db=str(tmp_path / "locks.db"))
    first, second = store.issue_ticket("sam"), store.issue_ticket("sam")
    assert second == first + 1
    lock = store.get_lock("sam")
    assert not lock.is_locked(first) and lock.is_locked(second)
    store.cleanup("sam", first)
    assert not store.get_lock("sam").is_locked(second)
    store.cleanup("sam", second)
    assert store.get_lock("sam") is None
