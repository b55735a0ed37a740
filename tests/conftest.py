"""Shared fixtures: the catalogue, the trained model (loaded once), and live servers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


def empty_postgres() -> str:
    """The PostgreSQL that scripts/test.sh starts, its public schema emptied; skips without it."""
    url = os.environ.get("BOUSSOLE_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("PostgreSQL not started: run the tests with scripts/test.sh")
    from sqlalchemy import create_engine, text

    engine = create_engine(url, future=True)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A migrated leads database, the same tests on SQLite and on the real PostgreSQL."""
    from bot.leads.db import upgrade

    url = f"sqlite:///{tmp_path / 'leads.db'}" if request.param == "sqlite" else empty_postgres()
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def catalogue():
    from bot.orientation.catalogue import load_catalogue

    return load_catalogue()


@pytest.fixture(scope="session")
def orienter():
    from bot.orientation.orient import Orienter

    return Orienter()


@pytest.fixture(scope="session")
def platforms():
    """Local fakes of the Telegram, Messenger and Twilio APIs the channels talk to."""
    import fake_platforms as fp
    from loopback import serve

    fake = fp.FakePlatforms()
    with serve(fake.app()) as url:
        fake.url = url
        yield fake


def channel_env(platforms, rasa_url: str) -> dict[str, str]:
    """The environment turning the messaging channels on, pointed at the local fakes."""
    import fake_platforms as fp

    return {
        "TELEGRAM_ACCESS_TOKEN": fp.TELEGRAM_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": fp.TELEGRAM_SECRET,
        "TELEGRAM_API_URL": platforms.url,
        "FACEBOOK_VERIFY_TOKEN": fp.FACEBOOK_VERIFY,
        "FACEBOOK_APP_SECRET": fp.FACEBOOK_SECRET,
        "FACEBOOK_PAGE_TOKEN": fp.FACEBOOK_PAGE_TOKEN,
        "FACEBOOK_API_URL": platforms.url,
        "TWILIO_ACCOUNT_SID": fp.TWILIO_SID,
        "TWILIO_AUTH_TOKEN": fp.TWILIO_TOKEN,
        "TWILIO_API_URL": platforms.url,
        "TWILIO_WEBHOOK_URL": f"{rasa_url}/webhooks/twilio/webhook",
        "BOUSSOLE_CHANNEL_TIMEOUT": "1",
        "BOUSSOLE_PUBLIC_URL": "https://ess.example.org",
        "BOUSSOLE_RATE_LIMIT": "20/60",
    }


@pytest.fixture(scope="session")
def rasa_server(tmp_path_factory, platforms):
    """The real Rasa server and action server on free loopback ports, with the trained model
    and the messaging channels on, talking to local fakes of the platforms."""
    from bot.ops.servers import LocalServers, Ports

    ports = Ports.free()
    servers = LocalServers.isolated(
        tmp_path_factory.mktemp("servers"),
        ports,
        env=channel_env(platforms, f"http://127.0.0.1:{ports.rasa}"),
    )
    servers.start()
    try:
        servers.wait_ready(timeout=360)
        yield servers
    finally:
        servers.stop()


@pytest.fixture
def leads_database(tmp_path, monkeypatch):
    """A leads database and an outbox of the test's own, for actions run without Rasa."""
    from bot.leads import service
    from bot.settings import Settings

    settings = Settings(
        var_dir=tmp_path / "var",
        database_url=f"sqlite:///{tmp_path / 'leads.db'}",
        outbox_dir=tmp_path / "outbox",
    )
    monkeypatch.setattr(service, "_settings", settings)
    monkeypatch.setattr(service, "_repository", None)
    return settings
