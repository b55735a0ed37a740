"""Erasure and retention: what leaves the leads database, and the log of erasures.

A person's erasure (`erase_conversation`, from the « effacer mes données » command) or an
advisor's (`erase_lead`) removes a lead with its history and notes, and its conversation's
misunderstood messages and feedback; each is recorded in `erasures` with counts only.
`purge` removes everything older than the retention period (`python -m bot purge`).
Tracker events live in Rasa's store: `bot.workspace.privacy` erases those.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, select

from bot.leads.models import Erasure, Feedback, Lead, MisunderstoodMessage, Note, StatusChange
from bot.leads.repository.base import RepositoryBase

BULK = {"synchronize_session": False}


class Retention(RepositoryBase):
    def erase_lead(
        self, reference: str, erase_events: Callable[[str], int] | None = None
    ) -> str | None:
        """Erase one lead, its history and notes, its conversation's misunderstood messages
        and feedback, and (through `erase_events`) its tracker events; log the erasure with
        counts only. Return the conversation id. Nothing is erased if `erase_events` fails."""
        with self.sessions() as session:
            lead = session.scalar(select(Lead).where(Lead.reference == reference))
            if lead is None:
                return None
            conversation, channel = lead.conversation_id, lead.channel
            rows = 0
            for query in (
                delete(Note).where(Note.lead_id == lead.id),
                delete(StatusChange).where(StatusChange.lead_id == lead.id),
                delete(Lead).where(Lead.id == lead.id),
                delete(MisunderstoodMessage).where(
                    MisunderstoodMessage.conversation_id == conversation
                ),
                delete(Feedback).where(Feedback.conversation_id == conversation),
            ):
                rows += session.execute(query, execution_options=BULK).rowcount or 0
            events = erase_events(conversation) if erase_events else 0
            session.add(
                Erasure(
                    channel=(channel or "inconnu")[:32],
                    requested_by="advisor",
                    leads=1,
                    rows=rows,
                    tracker_events=events or 0,
                )
            )
            session.commit()
            return conversation

    def erase_conversation(
        self,
        conversation_id: str,
        channel: str = "inconnu",
        tracker_events: int = 0,
        requested_by: str = "person",
    ) -> int:
        """Erase everything this assistant stored about one conversation, record the erasure
        (counts only), and return how many leads went."""
        with self.sessions() as session:
            count = session.scalar(
                select(func.count())
                .select_from(Lead)
                .where(Lead.conversation_id == conversation_id)
            )
            lead_ids = select(Lead.id).where(Lead.conversation_id == conversation_id)
            rows = 0
            for model in (StatusChange, Note):
                rows += (
                    session.execute(
                        delete(model).where(model.lead_id.in_(lead_ids)), execution_options=BULK
                    ).rowcount
                    or 0
                )
            for model in (Lead, MisunderstoodMessage, Feedback):
                rows += (
                    session.execute(
                        delete(model).where(model.conversation_id == conversation_id),
                        execution_options=BULK,
                    ).rowcount
                    or 0
                )
            session.add(
                Erasure(
                    channel=(channel or "inconnu")[:32],
                    requested_by=requested_by,
                    leads=count or 0,
                    rows=rows,
                    tracker_events=tracker_events,
                )
            )
            session.commit()
            return count or 0

    def erasures(self) -> list[Erasure]:
        with self.sessions() as session:
            return list(session.scalars(select(Erasure).order_by(Erasure.id)))

    def purge(self, older_than: timedelta, now: datetime | None = None) -> int:
        """Delete leads (with history and notes), misunderstood messages and feedback older
        than `older_than`; return how many leads went."""
        limit = (now or datetime.now(timezone.utc)) - older_than
        with self.sessions() as session:
            old = select(Lead.id).where(Lead.created_at < limit)
            count = session.scalar(
                select(func.count()).select_from(Lead).where(Lead.created_at < limit)
            )
            for model in (StatusChange, Note):
                session.execute(delete(model).where(model.lead_id.in_(old)), execution_options=BULK)
            session.execute(delete(Lead).where(Lead.created_at < limit), execution_options=BULK)
            for model in (MisunderstoodMessage, Feedback):
                session.execute(delete(model).where(model.at < limit), execution_options=BULK)
            session.commit()
            return count or 0
