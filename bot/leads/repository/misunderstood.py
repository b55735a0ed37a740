"""Messages the assistant did not understand, kept (scrubbed of contact details) for advisors
to label on the « Messages incompris » page; `bot.workspace.review` reads and decides them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bot.leads.models import MisunderstoodMessage
from bot.leads.repository.base import RepositoryBase

KEPT_CHARS = 2000  # what is kept of a message
KEPT_RANKING = 5  # how many of the NLU's intent guesses


class MisunderstoodStore(RepositoryBase):
    def record_misunderstood(
        self,
        conversation_id: str,
        text: str,
        ranking: Iterable[Mapping[str, Any]],
        organisation_id: str | None = None,
    ) -> None:
        """Kept without e-mails or phone numbers; read by `organisation_id` (None: admins)."""
        from bot.workspace.scrub import scrub

        with self.sessions() as session:
            session.add(
                MisunderstoodMessage(
                    conversation_id=conversation_id,
                    text=scrub(text[:KEPT_CHARS]),
                    ranking=list(ranking)[:KEPT_RANKING],
                    organisation_id=organisation_id,
                )
            )
            session.commit()
