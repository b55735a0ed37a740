"""Misunderstood messages: what advisors label, and the Rasa training data it becomes."""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

import yaml
from sqlalchemy import select

from bot import settings
from bot.leads.models import MisunderstoodMessage
from bot.leads.repository import LeadRepository
from bot.workspace.scrub import scrub

PAYLOAD_ONLY = {"choose", "correct", "feedback"}


@lru_cache(maxsize=1)
def labelable_intents() -> tuple[str, ...]:
    domain = yaml.safe_load((settings.ROOT / "domain.yml").read_text(encoding="utf-8"))
    return tuple(i for i in domain["intents"] if i not in PAYLOAD_ONLY)


MAX_ID = 2**63 - 1  # larger ids cannot exist, and overflow the database's integers


def visible(query, organisation_id: str | None):
    """Messages of conversations routed to the organisation; None means an admin (all)."""
    return (
        query
        if organisation_id is None
        else query.where(MisunderstoodMessage.organisation_id == organisation_id)
    )


def pending(
    repository: LeadRepository, organisation_id: str | None = None, limit: int = 200
) -> list[MisunderstoodMessage]:
    with repository.sessions() as session:
        messages = list(
            session.scalars(
                visible(select(MisunderstoodMessage), organisation_id)
                .order_by(MisunderstoodMessage.status.desc(), MisunderstoodMessage.at.desc())
                .limit(limit)
            )
        )
    for message in messages:  # rows kept before scrubbing existed
        message.text = scrub(message.text)
    return messages


def decide(
    repository: LeadRepository,
    message_id: int,
    intent: str | None,
    organisation_id: str | None = None,
) -> None:
    """Label a message with an intent, or dismiss it (intent None). KeyError when the message
    does not exist or is another organisation's: the same answer."""
    if intent is not None and intent not in labelable_intents():
        raise ValueError(f"intention inconnue « {intent} »")
    if not 0 < message_id <= MAX_ID:
        raise KeyError(message_id)
    with repository.sessions() as session:
        message = session.scalar(
            visible(select(MisunderstoodMessage), organisation_id).where(
                MisunderstoodMessage.id == message_id
            )
        )
        if message is None:
            raise KeyError(message_id)
        message.status, message.label = ("étiqueté", intent) if intent else ("écarté", None)
        session.commit()


def as_nlu_yaml(repository: LeadRepository, organisation_id: str | None = None) -> str:
    """Labelled messages as Rasa NLU training data, ready to add under data/nlu/."""
    grouped: dict[str, list[str]] = defaultdict(list)
    with repository.sessions() as session:
        for message in session.scalars(
            visible(select(MisunderstoodMessage), organisation_id)
            .where(MisunderstoodMessage.status == "étiqueté")
            .order_by(MisunderstoodMessage.at)
        ):
            line = " ".join(scrub(message.text).split())
            if line and line not in grouped[message.label]:
                grouped[message.label].append(line)
    lines = ['version: "3.1"', "# Messages mal compris, étiquetés dans l'espace conseil.", "nlu:"]
    for intent in sorted(grouped):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {text}" for text in grouped[intent]]
    return "\n".join(lines) + "\n"
