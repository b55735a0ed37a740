"""The lead repository of this process, created (and the schema migrated) on first use."""
from __future__ import annotations

import threading

from bot.leads.db import upgrade
from bot.leads.repository import LeadRepository

_lock = threading.Lock()
_repository: LeadRepository | None = None


def get_repository() -> LeadRepository:
    global _repository
    with _lock:
        if _repository is None:
            upgrade()
            _repository = LeadRepository()
        return _repository
