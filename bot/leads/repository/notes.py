"""What advisors add to a lead besides its status: their notes, and which advisor it is
assigned to (an assignment is logged in the lead's history, its status unchanged)."""

from __future__ import annotations

from sqlalchemy import select

from bot.leads.models import Lead, Note, StatusChange
from bot.leads.repository.base import RepositoryBase


class NoteStore(RepositoryBase):
    def add_note(self, reference: str, author: str, body: str) -> None:
        with self.sessions() as session:
            lead = self._lead(session, reference)
            session.add(Note(lead_id=lead.id, author=author, text=body))
            session.commit()

    def notes(self, reference: str) -> list[Note]:
        """The lead's notes, oldest first."""
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(Note)
                    .join(Lead, Note.lead_id == Lead.id)
                    .where(Lead.reference == reference)
                    .order_by(Note.at)
                )
            )

    def assign(self, reference: str, advisor_id: int | None, actor: str) -> None:
        """Give the lead to an advisor's account (None: to nobody)."""
        with self.sessions() as session:
            lead = self._lead(session, reference)
            lead.advisor_id = advisor_id
            session.add(
                StatusChange(
                    lead=lead,
                    actor=actor,
                    from_status=lead.status,
                    to_status=lead.status,
                    comment=f"Attribuée au compte n° {advisor_id}"
                    if advisor_id
                    else "Attribution retirée",
                )
            )
            session.commit()
