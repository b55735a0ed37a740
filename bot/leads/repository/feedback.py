"""Whether people found the orientation useful (the « C'était utile ? » question at the end of
a conversation), per conversation and offer; read by the figures of the workspace."""

from __future__ import annotations

from bot.leads.models import Feedback
from bot.leads.repository.base import RepositoryBase


class FeedbackStore(RepositoryBase):
    def record_feedback(
        self,
        conversation_id: str,
        useful: bool | None,
        offer_id: str | None = None,
        comment: str | None = None,
    ) -> None:
        with self.sessions() as session:
            session.add(
                Feedback(
                    conversation_id=conversation_id,
                    useful=useful,
                    offer_id=offer_id,
                    comment=comment,
                )
            )
            session.commit()
