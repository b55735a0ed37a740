"""A conversation as advisors read it, from Rasa's SQL tracker store."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import create_engine, text

from bot.privacy import tracker_store_url


@dataclass(frozen=True)
class Line:
    who: str    # "personne" or "assistant"
    text: str
    at: datetime


def transcript(conversation_id: str, url: str | None = None) -> list[Line]:
    engine = create_engine(url or tracker_store_url(), future=True)
    lines: list[Line] = []
    try:
        with engine.connect() as connection:
            try:
                rows = connection.execute(text(
                    "SELECT type_name, timestamp, data FROM events WHERE sender_id = :s "
                    "AND type_name IN ('user', 'bot') ORDER BY id"), {"s": conversation_id})
            except Exception:  # noqa: BLE001 - no tracker table yet
                return []
            for type_name, timestamp, data in rows:
                body = json.loads(data).get("text") or ""
                if type_name == "user" and body.startswith("/"):
                    body = f"[bouton] {body}"
                lines.append(Line("personne" if type_name == "user" else "assistant", body,
                                  datetime.fromtimestamp(timestamp, timezone.utc)))
    finally:
        engine.dispose()
    return lines
