"""A durable local queue for leads when the database cannot be reached.

A confirmed lead that cannot be written is appended (and fsync'ed) to the file the caller names
(`Settings.outbox_path`: var/outbox/leads.jsonl unless BOUSSOLE_OUTBOX says otherwise);
the next write, or `python -m bot leads flush`, writes the queued leads — idempotently, thanks
to their confirmation key — and removes them from the file.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.files import atomic_write
from bot.leads.repository import LeadRepository


@dataclass(frozen=True)
class Submitted:
    status: str  # "saved" or "queued"
    reference: str | None  # known once written
    created: bool = True


class Outbox:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def put(self, draft: Mapping[str, Any]) -> None:
        line = json.dumps(dict(draft), ensure_ascii=False, default=str) + "\n"
        with self._locked(), open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())

    def pending(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [
            json.loads(line)
            for line in self.path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]

    def drain(self, repository: LeadRepository) -> int:
        """Write the queued leads; keep those that still fail. Returns how many were written."""
        with self._locked():
            queued = self.pending()
            if not queued:
                return 0
            left, written = [], 0
            for draft in queued:
                try:
                    repository.save(draft)
                    written += 1
                except SQLAlchemyError:
                    left.append(draft)
            atomic_write(
                self.path,
                "".join(json.dumps(d, ensure_ascii=False, default=str) + "\n" for d in left),
            )
            return written


def submit(draft: Mapping[str, Any], repository: LeadRepository, outbox: Outbox) -> Submitted:
    """Write a confirmed lead, or queue it durably when the database is unreachable."""
    try:
        outbox.drain(repository)
        saved = repository.save(draft)
        return Submitted("saved", saved.reference, saved.created)
    except SQLAlchemyError:
        outbox.put(draft)
        return Submitted("queued", None)
