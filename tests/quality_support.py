"""A known dataset for the quality loop's tests (tests/test_satisfaction.py,
tests/test_quality.py, tests/browser/test_quality_pages.py): leads of two organisations, advisors,
status histories at chosen times, and a tracker store with the persons' first messages."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from sqlalchemy import create_engine, select, text
from starlette.testclient import TestClient

from bot.leads.db import make_engine, session_factory, upgrade
from bot.leads.models import Lead, StatusChange
from bot.leads.repository import LeadRepository, confirmation_key
from bot.settings import Settings
from bot.workspace.advisors import Advisors

PASSWORD = "correct horse battery"


def make_repository(tmp_path) -> LeadRepository:
    url = f"sqlite:///{tmp_path / 'quality.db'}"
    upgrade(url)
    return LeadRepository(session_factory(make_engine(url)))


def make_settings(tmp_path) -> Settings:
    return Settings(
        var_dir=tmp_path / "var",
        secret_key="quality-secret",
        secure_cookies=False,
        tracker_store_url=f"sqlite:///{tmp_path / 'tracker.db'}",
        public_url="https://ess.example.org",
    )


def add_advisors(repository: LeadRepository) -> None:
    advisors = Advisors(repository)
    advisors.add("claire@sem.example", "Claire", "sem-ess", "conseiller", PASSWORD)
    advisors.add("yann@unis-cite.example", "Yann", "unis-cite", "conseiller", PASSWORD)
    advisors.add("admin@sem.example", "Admin", "sem-ess", "admin", PASSWORD)


def add_lead(
    repository: LeadRepository,
    conversation: str,
    offer: str,
    *,
    channel: str = "rest",
    created: datetime | None = None,
    register: str | None = None,
    name: str = "Martin",
) -> str:
    facts = {"register": register} if register else {}
    return repository.save(
        {
            "confirmation_key": confirmation_key(conversation, "m"),
            "conversation_id": conversation,
            "channel": channel,
            "first_name": "Léa",
            "last_name": name,
            "email": f"{conversation}@example.org",
            "phone": "+33612345678",
            "commune": "Firminy",
            "on_territory": True,
            "offer_id": offer,
            "confidence": 0.8,
            "consent_version": "v1",
            "consent_at": "2026-09-01T10:00:00+00:00",
            "facts": facts,
            "project_summary": "Un projet décrit en quelques mots",
            "created_at": (created or datetime(2026, 10, 1, 9, tzinfo=timezone.utc)).isoformat(),
        }
    ).reference


def move(repository: LeadRepository, reference: str, *steps: tuple[str, datetime]) -> None:
    """Status changes at chosen times (the history's clock is the database's default)."""
    for status, at in steps:
        repository.change_status(reference, status, "claire@sem.example")
        with repository.sessions() as session:
            lead = session.scalar(select(Lead).where(Lead.reference == reference))
            change = session.scalar(
                select(StatusChange)
                .where(StatusChange.lead_id == lead.id)
                .order_by(StatusChange.id.desc())
            )
            change.at = at
            session.commit()


def close(repository: LeadRepository, reference: str, status: str = "aide_proposee") -> None:
    move(
        repository,
        reference,
        ("pris_en_charge", datetime(2026, 10, 2, 9, tzinfo=timezone.utc)),
        (status, datetime(2026, 10, 6, 9, tzinfo=timezone.utc)),
    )


def write_tracker(
    settings: Settings,
    messages: list[tuple[str, str, float]],
    offers: list[tuple[str, str, float]] = (),
) -> None:
    """Rasa's events table with user messages (sender, text, time) and `offer` slots."""
    engine = create_engine(settings.trackers_url, future=True)
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id TEXT, "
                "type_name TEXT, timestamp FLOAT, intent_name TEXT, action_name TEXT, data TEXT)"
            )
        )
        for sender, body, at in messages:
            connection.execute(
                text(
                    "INSERT INTO events (sender_id, type_name, timestamp, data) "
                    "VALUES (:s, 'user', :t, :d)"
                ),
                {"s": sender, "t": at, "d": json.dumps({"text": body})},
            )
        for sender, offer, at in offers:
            connection.execute(
                text(
                    "INSERT INTO events (sender_id, type_name, timestamp, data) "
                    "VALUES (:s, 'slot', :t, :d)"
                ),
                {
                    "s": sender,
                    "t": at,
                    "d": json.dumps({"event": "slot", "name": "offer", "value": offer}),
                },
            )
    engine.dispose()


def csrf_of(client: TestClient, path: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).text).group(1)


def login(app, email: str) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False)
    token = csrf_of(client, "/conseil/connexion")
    response = client.post(
        "/conseil/connexion",
        data={"email": email, "password": PASSWORD, "csrf": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return client
