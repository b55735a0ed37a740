"""Reading and writing leads. Every write path is idempotent: a confirmation is written once."""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload, sessionmaker

from bot.leads import statuses
from bot.leads.db import session_factory
from bot.leads.models import (
    Erasure,
    Feedback,
    Lead,
    MisunderstoodMessage,
    Note,
    Organisation,
    StatusChange,
)
from bot.leads.qualification import LEVEL_ORDER, qualify
from bot.orientation.catalogue import Catalogue, get_catalogue

ASSISTANT = "assistant"
LEAD_FIELDS = (
    "channel", "conversation_id", "first_name", "last_name", "email", "phone", "phone_region",
    "commune", "commune_insee", "on_territory", "structure_name", "legal_form",
    "project_summary", "facts", "offer_id", "alternatives", "confidence", "explanation",
    "consent_version", "consent_at", "youth", "human_requested",
)


def confirmation_key(conversation_id: str, confirmation_id: str) -> str:
    """One key per confirmation of one conversation (the confirming message's id)."""
    return hashlib.sha256(f"{conversation_id}\x1f{confirmation_id}".encode()).hexdigest()


def reference_of(lead_id: int, created_at: datetime) -> str:
    return f"ESS-{created_at.year}-{lead_id:04d}"


@dataclass(frozen=True)
class Saved:
    reference: str
    created: bool  # False when this confirmation had already been written


def _parse_time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


class LeadRepository:
    def __init__(self, sessions: sessionmaker | None = None, catalogue: Catalogue | None = None):
        self.sessions = sessions or session_factory()
        self.catalogue = catalogue or get_catalogue()
        self._organisations_synced = False

    # -- writing -----------------------------------------------------------------------------
    def sync_organisations(self) -> None:
        """Mirror the catalogue's organisations (once per repository; concurrent-safe)."""
        if self._organisations_synced:
            return
        for org in self.catalogue.organisations.values():
            with self.sessions() as session:
                if session.get(Organisation, org.id) is None:
                    session.add(Organisation(id=org.id, name=org.name))
                    try:
                        session.commit()
                    except IntegrityError:  # another process added it meanwhile
                        session.rollback()
        self._organisations_synced = True

    def save(self, draft: Mapping[str, Any]) -> Saved:
        """Write a confirmed lead once; a retry of the same confirmation returns the first."""
        key = draft["confirmation_key"]
        self.sync_organisations()
        with self.sessions() as session:
            existing = session.scalar(select(Lead).where(Lead.confirmation_key == key))
            if existing is not None:
                return Saved(existing.reference, created=False)
            values = {f: draft.get(f) for f in LEAD_FIELDS if draft.get(f) is not None}
            values["consent_at"] = _parse_time(values.get("consent_at"))
            score, level = qualify(values)
            offer = self.catalogue.offers.get(values.get("offer_id") or "")
            created_at = _parse_time(draft.get("created_at")) or datetime.now(timezone.utc)
            lead = Lead(confirmation_key=key, created_at=created_at, score=score, level=level,
                        status=statuses.INITIAL,
                        organisation_id=offer.organisation if offer else "sem-ess", **values)
            lead.facts = values.get("facts") or {}
            lead.alternatives = values.get("alternatives") or []
            session.add(lead)
            try:
                session.flush()
                lead.reference = reference_of(lead.id, created_at)
                session.add(StatusChange(lead=lead, actor=ASSISTANT, from_status=None,
                                         to_status=statuses.INITIAL,
                                         comment="Demande de rappel confirmée"))
                session.commit()
            except IntegrityError:
                # The same confirmation was written concurrently: return that one.
                session.rollback()
                existing = session.scalar(select(Lead).where(Lead.confirmation_key == key))
                if existing is None:
                    raise
                return Saved(existing.reference, created=False)
            return Saved(lead.reference, created=True)

    def change_status(self, reference: str, target: str, actor: str,
                      comment: str | None = None) -> Lead:
        with self.sessions() as session:
            lead = session.scalar(select(Lead).where(Lead.reference == reference))
            if lead is None:
                raise KeyError(reference)
            statuses.check_transition(lead.status, target)
            session.add(StatusChange(lead=lead, actor=actor, from_status=lead.status,
                                     to_status=target, comment=comment))
            lead.status = target
            session.commit()
            return lead

    def record_misunderstood(self, conversation_id: str, text: str,
                             ranking: Iterable[Mapping[str, Any]],
                             organisation_id: str | None = None) -> None:
        """Kept without e-mails or phone numbers; read by `organisation_id` (None: admins)."""
        from bot.workspace.scrub import scrub

        with self.sessions() as session:
            session.add(MisunderstoodMessage(conversation_id=conversation_id,
                                             text=scrub(text[:2000]), ranking=list(ranking)[:5],
                                             organisation_id=organisation_id))
            session.commit()

    def record_feedback(self, conversation_id: str, useful: bool | None,
                        offer_id: str | None = None, comment: str | None = None) -> None:
        with self.sessions() as session:
            session.add(Feedback(conversation_id=conversation_id, useful=useful,
                                 offer_id=offer_id, comment=comment))
            session.commit()

    def add_note(self, reference: str, author: str, body: str) -> None:
        with self.sessions() as session:
            lead = session.scalar(select(Lead).where(Lead.reference == reference))
            if lead is None:
                raise KeyError(reference)
            session.add(Note(lead_id=lead.id, author=author, text=body))
            session.commit()

    def notes(self, reference: str) -> list[Note]:
        with self.sessions() as session:
            return list(session.scalars(select(Note).join(Lead, Note.lead_id == Lead.id)
                                        .where(Lead.reference == reference)
                                        .order_by(Note.at)))

    def assign(self, reference: str, advisor_id: int | None, actor: str) -> None:
        with self.sessions() as session:
            lead = session.scalar(select(Lead).where(Lead.reference == reference))
            if lead is None:
                raise KeyError(reference)
            lead.advisor_id = advisor_id
            session.add(StatusChange(lead=lead, actor=actor, from_status=lead.status,
                                     to_status=lead.status,
                                     comment=f"Attribuée au compte n° {advisor_id}"
                                     if advisor_id else "Attribution retirée"))
            session.commit()

    def erase_lead(self, reference: str,
                   erase_events: Callable[[str], int] | None = None) -> str | None:
        """Erase one lead, its history and notes, its conversation's misunderstood messages
        and feedback, and (through `erase_events`) its tracker events; log the erasure with
        counts only. Return the conversation id. Nothing is erased if `erase_events` fails."""
        from bot.leads.models import Erasure

        with self.sessions() as session:
            lead = session.scalar(select(Lead).where(Lead.reference == reference))
            if lead is None:
                return None
            conversation, channel = lead.conversation_id, lead.channel
            rows = 0
            for query in (delete(Note).where(Note.lead_id == lead.id),
                          delete(StatusChange).where(StatusChange.lead_id == lead.id),
                          delete(Lead).where(Lead.id == lead.id),
                          delete(MisunderstoodMessage)
                          .where(MisunderstoodMessage.conversation_id == conversation),
                          delete(Feedback).where(Feedback.conversation_id == conversation)):
                rows += session.execute(query, execution_options={
                    "synchronize_session": False}).rowcount or 0
            events = erase_events(conversation) if erase_events else 0
            session.add(Erasure(channel=(channel or "inconnu")[:32], requested_by="advisor",
                                leads=1, rows=rows, tracker_events=events or 0))
            session.commit()
            return conversation

    # -- privacy -----------------------------------------------------------------------------
    def erase_conversation(self, conversation_id: str, channel: str = "inconnu",
                           tracker_events: int = 0, requested_by: str = "person") -> int:
        """Erase everything this assistant stored about one conversation, record the erasure
        (counts only), and return how many leads went."""
        with self.sessions() as session:
            count = session.scalar(select(func.count()).select_from(Lead)
                                   .where(Lead.conversation_id == conversation_id))
            lead_ids = select(Lead.id).where(Lead.conversation_id == conversation_id)
            rows = 0
            for model in (StatusChange, Note):
                rows += session.execute(delete(model).where(model.lead_id.in_(lead_ids)),
                                        execution_options={"synchronize_session": False}
                                        ).rowcount or 0
            for model in (Lead, MisunderstoodMessage, Feedback):
                rows += session.execute(delete(model)
                                        .where(model.conversation_id == conversation_id),
                                        execution_options={"synchronize_session": False}
                                        ).rowcount or 0
            session.add(Erasure(channel=(channel or "inconnu")[:32], requested_by=requested_by,
                                leads=count or 0, rows=rows, tracker_events=tracker_events))
            session.commit()
            return count or 0

    def references(self, conversation_id: str) -> list[str]:
        """References of this conversation's leads, oldest first (what an erasure would take)."""
        with self.sessions() as session:
            return list(session.scalars(select(Lead.reference)
                                        .where(Lead.conversation_id == conversation_id)
                                        .order_by(Lead.id)))

    def erasures(self) -> list[Erasure]:
        with self.sessions() as session:
            return list(session.scalars(select(Erasure).order_by(Erasure.id)))

    def purge(self, older_than: timedelta, now: datetime | None = None) -> int:
        limit = (now or datetime.now(timezone.utc)) - older_than
        with self.sessions() as session:
            old = select(Lead.id).where(Lead.created_at < limit)
            count = session.scalar(select(func.count()).select_from(Lead)
                                   .where(Lead.created_at < limit))
            for model in (StatusChange, Note):
                session.execute(delete(model).where(model.lead_id.in_(old)),
                                execution_options={"synchronize_session": False})
            session.execute(delete(Lead).where(Lead.created_at < limit),
                            execution_options={"synchronize_session": False})
            for model in (MisunderstoodMessage, Feedback):
                session.execute(delete(model).where(model.at < limit),
                                execution_options={"synchronize_session": False})
            session.commit()
            return count or 0

    # -- reading -----------------------------------------------------------------------------
    def get(self, reference: str) -> Lead | None:
        with self.sessions() as session:
            return session.scalar(select(Lead).options(selectinload(Lead.history))
                                  .where(Lead.reference == reference))

    def list(self, text: str | None = None, limit: int | None = None) -> list[Lead]:
        """Leads, the most qualified first, then the oldest first (they waited longest)."""
        with self.sessions() as session:
            query = select(Lead)
            if text:
                like = f"%{text}%"
                query = query.where(or_(Lead.last_name.ilike(like), Lead.first_name.ilike(like),
                                        Lead.commune.ilike(like), Lead.reference.ilike(like),
                                        Lead.project_summary.ilike(like)))
            leads = list(session.scalars(query))
        leads.sort(key=lambda lead: (LEVEL_ORDER.get(lead.level, 9), lead.created_at))
        return leads[:limit] if limit else leads
