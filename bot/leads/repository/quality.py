"""Quality of the service as the people involved judge it: the person's satisfaction answer
(one per lead, from the survey link), the advisor's verdict on the orientation (one per lead,
revisable), and the lead for the next step of the programme's path, linked to the previous one
(`previous_lead_id`) and written once whatever the clicks."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.leads.models import Lead, OrientationReview, SatisfactionAnswer
from bot.leads.repository.base import RepositoryBase
from bot.leads.repository.leads import CONTACT_FIELDS  # the person, not the orientation


@dataclass(frozen=True)
class Quality:
    """What the lead page shows of a lead's quality loop."""

    answer: SatisfactionAnswer | None
    review: OrientationReview | None
    previous: str | None  # reference of the lead this one is the next step of
    next_steps: list[str]  # references of the leads of its next step


def next_step_key(reference: str, offer_id: str) -> str:
    """The confirmation key of a lead's next step: a second click finds the first lead."""
    return hashlib.sha256(f"next-step\x1f{reference}\x1f{offer_id}".encode()).hexdigest()


class QualityStore(RepositoryBase):
    def record_satisfaction(
        self,
        reference: str,
        contacted: bool,
        helpful: bool | None,
        comment: str | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Record the answer; False (and nothing written) when the lead already has one.
        KeyError when the lead does not exist (erased)."""
        with self.sessions() as session:
            lead = self._lead(session, reference)
            session.add(
                SatisfactionAnswer(
                    lead_id=lead.id,
                    contacted=contacted,
                    helpful=helpful,
                    comment=comment,
                    at=now or datetime.now(timezone.utc),
                )
            )
            try:
                session.commit()
            except IntegrityError:  # answered already, maybe in another tab a moment ago
                session.rollback()
                return False
            return True

    def review_orientation(
        self,
        reference: str,
        advisor: str,
        right_offer_id: str,
        reason: str | None = None,
        now: datetime | None = None,
    ) -> OrientationReview:
        """The advisor's verdict: `right_offer_id` is the lead's own offer when it was right.
        A second verdict on the same lead replaces the first (the advisor changed their mind)."""
        if right_offer_id not in self.catalogue:
            raise ValueError(f"offre inconnue « {right_offer_id} »")
        with self.sessions() as session:
            lead = self._lead(session, reference)
            review = session.scalar(
                select(OrientationReview).where(OrientationReview.lead_id == lead.id)
            )
            if review is None:
                review = OrientationReview(lead_id=lead.id)
                session.add(review)
            review.at = now or datetime.now(timezone.utc)
            review.advisor = advisor
            review.oriented_offer_id = lead.offer_id
            review.right_offer_id = right_offer_id
            review.reason = reason
            try:
                session.commit()
            except IntegrityError:  # two verdicts at once: the other one stands
                session.rollback()
            return review

    def quality(self, reference: str) -> Quality:
        with self.sessions() as session:
            lead = self._lead(session, reference)
            answer = session.scalar(
                select(SatisfactionAnswer).where(SatisfactionAnswer.lead_id == lead.id)
            )
            review = session.scalar(
                select(OrientationReview).where(OrientationReview.lead_id == lead.id)
            )
            previous = (
                session.scalar(select(Lead.reference).where(Lead.id == lead.previous_lead_id))
                if lead.previous_lead_id
                else None
            )
            next_steps = list(
                session.scalars(
                    select(Lead.reference).where(Lead.previous_lead_id == lead.id).order_by(Lead.id)
                )
            )
            return Quality(answer, review, previous, next_steps)

    def create_next_step(
        self, reference: str, offer_id: str, now: datetime | None = None
    ) -> tuple[str, bool]:
        """The lead for the next step (`offer_id`) of this one, with the same contact details:
        (its reference, whether it was created now). A second request returns the first lead."""
        if offer_id not in self.catalogue:
            raise ValueError(f"offre inconnue « {offer_id} »")
        now = now or datetime.now(timezone.utc)
        with self.sessions() as session:
            previous = self._lead(session, reference)
            draft = {f: getattr(previous, f) for f in CONTACT_FIELDS}
            previous_id = previous.id
            register = (previous.facts or {}).get("register")
        draft.update(
            confirmation_key=next_step_key(reference, offer_id),
            created_at=now,
            offer_id=offer_id,
            consent_at=now,
            facts={"rule": "etape_suivante", **({"register": register} if register else {})},
            explanation=f"Étape suivante du parcours, demandée après la demande {reference}.",
        )
        reply_address = draft.pop("reply_address", None)
        saved = self.save(draft)
        with self.sessions() as session:
            lead = self._lead(session, saved.reference)
            if lead.previous_lead_id != previous_id:
                lead.previous_lead_id = previous_id
                lead.reply_address = lead.reply_address or reply_address
                session.commit()
        return saved.reference, saved.created
