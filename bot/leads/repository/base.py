"""What every part of the lead repository shares: one session factory, the catalogue, and the
look-up of a lead by its reference. The aggregate mixins (`leads`, `notes`, `misunderstood`,
`feedback`, `retention`) use nothing else of each other."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.leads.models import Lead
from bot.orientation.catalogue import Catalogue


class RepositoryBase:
    """`sessions()` opens a session on the leads database; `catalogue` names the offers and
    the organisations a lead is routed to."""

    sessions: sessionmaker
    catalogue: Catalogue

    def __init__(self, sessions: sessionmaker, catalogue: Catalogue):
        self.sessions = sessions
        self.catalogue = catalogue

    @staticmethod
    def _lead(session: Session, reference: str) -> Lead:
        """The lead of this reference; KeyError when there is none."""
        lead = session.scalar(select(Lead).where(Lead.reference == reference))
        if lead is None:
            raise KeyError(reference)
        return lead
