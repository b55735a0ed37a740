"""The leads of this process: its settings, its repository (created, and the schema migrated, on
first use) and its outbox. The action server and the command line start here; the settings are
the environment's (`Settings.from_env()`, read once) unless `use()` gave others (tests)."""

from __future__ import annotations

import threading

from bot.leads.db import get_engine, session_factory, upgrade
from bot.leads.outbox import Outbox
from bot.leads.repository import LeadRepository
from bot.settings import Settings

_lock = threading.Lock()
_settings: Settings | None = None
_repository: LeadRepository | None = None


def use(settings: Settings | None) -> None:
    """Work with these settings from now on (None: the environment's again)."""
    global _settings, _repository
    with _lock:
        _settings, _repository = settings, None


def get_settings() -> Settings:
    global _settings
    with _lock:
        if _settings is None:
            _settings = Settings.from_env()
        return _settings


def get_repository() -> LeadRepository:
    global _repository
    settings = get_settings()
    with _lock:
        if _repository is None:
            url = settings.leads_database_url
            upgrade(url)
            _repository = LeadRepository(session_factory(get_engine(url)))
        return _repository


def get_outbox() -> Outbox:
    return Outbox(get_settings().outbox_path)
