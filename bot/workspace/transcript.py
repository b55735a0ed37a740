"""A conversation as advisors read it, from Rasa's SQL tracker store."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import text

from bot.workspace.privacy import tracker_engine


@dataclass(frozen=True)
class Line:
    who: str  # "personne" or "assistant"
    text: str
    at: datetime


def transcript(conversation_id: str, url: str | None = None) -> list[Line]:
    lines: list[Line] = []
    with tracker_engine(url).connect() as connection:
        try:
            rows = connection.execute(
                text(
                    "SELECT type_name, timestamp, data FROM events WHERE sender_id = :s "
                    "AND type_name IN ('user', 'bot') ORDER BY id"
                ),
                {"s": conversation_id},
            )
        except Exception:  # noqa: BLE001 - no tracker table yet
            return []
        for type_name, timestamp, data in rows:
            body = json.loads(data).get("text") or ""
            if type_name == "user" and body.startswith("/"):
                body = f"[bouton] {body}"
            lines.append(
                Line(
                    "personne" if type_name == "user" else "assistant",
                    body,
                    datetime.fromtimestamp(timestamp, timezone.utc),
                )
            )
    return lines
