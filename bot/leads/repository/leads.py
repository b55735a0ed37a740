"""The lead aggregate: writing a confirmed lead exactly once, its status changes, and reading
leads (one by reference, a conversation's, the advisors' list).

Every write path is idempotent: a retried confirmation (same `confirmation_key`) returns the
lead written the first time, even when two processes write it at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from bot.leads import statuses
from bot.leads.models import Lead, Organisation, StatusChange
from bot.leads.qualification import LEVEL_ORDER, qualify
from bot.leads.repository.base import RepositoryBase

ASSISTANT = "assistant"
# Who the person is and how to reach them (what a next-step lead copies, bot/leads/repository/
# quality.py), then what the conversation found: together, what a draft may set on a lead.
CONTACT_FIELDS = (
    "channel",
    "conversation_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "phone_region",
    "commune",
    "commune_insee",
    "on_territory",
    "structure_name",
    "legal_form",
    "project_summary",
    "consent_version",
    "youth",
    "reply_address",
)
LEAD_FIELDS = (
    *CONTACT_FIELDS,
    "facts",
    "offer_id",
    "alternatives",
    "confidence",
    "explanation",
    "consent_at",
    "human_requested",
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


class LeadStore(RepositoryBase):
    _organisations_synced = False

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
            lead = Lead(
                confirmation_key=key,
                created_at=created_at,
                score=score,
                level=level,
                status=statuses.INITIAL,
                organisation_id=offer.organisation if offer else "sem-ess",
                **values,
            )
            lead.facts = values.get("facts") or {}
            lead.alternatives = values.get("alternatives") or []
            session.add(lead)
            try:
                session.flush()
                lead.reference = reference_of(lead.id, created_at)
                session.add(
                    StatusChange(
                        lead=lead,
                        actor=ASSISTANT,
                        from_status=None,
                        to_status=statuses.INITIAL,
                        at=created_at,
                        comment="Demande de rappel confirmée",
                    )
                )
                session.commit()
            except IntegrityError:
                # The same confirmation was written concurrently: return that one.
                session.rollback()
                existing = session.scalar(select(Lead).where(Lead.confirmation_key == key))
                if existing is None:
                    raise
                return Saved(existing.reference, created=False)
            return Saved(lead.reference, created=True)

    def change_status(
        self,
        reference: str,
        target: str,
        actor: str,
        comment: str | None = None,
        at: datetime | None = None,
    ) -> Lead:
        """A status change, logged; it is news, so a « sans suite » flag goes (bot/followup)."""
        at = (at or datetime.now(timezone.utc)).astimezone(timezone.utc)
        with self.sessions() as session:
            lead = self._lead(session, reference)
            statuses.check_transition(lead.status, target)
            session.add(
                StatusChange(
                    lead=lead,
                    actor=actor,
                    from_status=lead.status,
                    to_status=target,
                    comment=comment,
                    at=at,
                )
            )
            lead.status = target
            lead.flagged_at = None
            session.commit()
            return lead

    # -- reading -----------------------------------------------------------------------------
    def get(self, reference: str) -> Lead | None:
        with self.sessions() as session:
            return session.scalar(
                select(Lead).options(selectinload(Lead.history)).where(Lead.reference == reference)
            )

    def references(self, conversation_id: str) -> list[str]:
        """References of this conversation's leads, oldest first (what an erasure would take)."""
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(Lead.reference)
                    .where(Lead.conversation_id == conversation_id)
                    .order_by(Lead.id)
                )
            )

    def list(self, text: str | None = None, limit: int | None = None) -> list[Lead]:
        """Leads, the most qualified first, then the oldest first (they waited longest)."""
        with self.sessions() as session:
            query = select(Lead)
            if text:
                like = f"%{text}%"
                query = query.where(
                    or_(
                        Lead.last_name.ilike(like),
                        Lead.first_name.ilike(like),
                        Lead.commune.ilike(like),
                        Lead.reference.ilike(like),
                        Lead.project_summary.ilike(like),
                    )
                )
            leads = list(session.scalars(query))
        leads.sort(key=lambda lead: (LEVEL_ORDER.get(lead.level, 9), lead.created_at))
        return leads[:limit] if limit else leads
