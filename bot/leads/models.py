"""Database tables, SQLAlchemy 1.4 in 2.0 style (`future=True` engines and sessions)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Boolean, Column, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Organisation(Base):
    """Who handles leads; mirrored from data/offers.yml (`organisations`)."""

    __tablename__ = "organisations"
    id = Column(String(64), primary_key=True)
    name = Column(String(200), nullable=False)


class Lead(Base):
    __tablename__ = "leads"
    # Ids, hence references, are never reused after an erasure (SQLite would reuse them).
    __table_args__ = {"sqlite_autoincrement": True}
    id = Column(Integer, primary_key=True)
    reference = Column(String(32), unique=True, index=True)
    # Idempotency: one confirmation of one conversation gives one lead, whatever the retries.
    confirmation_key = Column(String(64), unique=True, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)
    channel = Column(String(32), nullable=False, default="rest")
    conversation_id = Column(String(128), nullable=False, index=True)

    first_name = Column(String(60))
    last_name = Column(String(60))
    email = Column(String(254))
    phone = Column(String(20))
    phone_region = Column(String(60))
    commune = Column(String(80))
    commune_insee = Column(String(5))
    on_territory = Column(Boolean)
    structure_name = Column(String(200))
    legal_form = Column(String(40))
    project_summary = Column(Text)

    facts = Column(JSON, nullable=False, default=dict)
    offer_id = Column(String(64), index=True)
    alternatives = Column(JSON, nullable=False, default=list)
    confidence = Column(Float)
    explanation = Column(Text)

    score = Column(Integer, nullable=False, default=0)
    level = Column(String(20), nullable=False, index=True)
    status = Column(String(32), nullable=False, default="nouveau", index=True)
    organisation_id = Column(String(64), ForeignKey("organisations.id"), index=True)
    advisor_id = Column(Integer)

    consent_version = Column(String(32))
    consent_at = Column(DateTime(timezone=True))
    youth = Column(Boolean, nullable=False, default=False)
    human_requested = Column(Boolean, nullable=False, default=False)

    # The follow-up loop (bot/followup): where a messaging-app person can be written back to
    # (their platform address, kept only with their consent), whether they withdrew consent
    # to be contacted, when the lead was flagged « sans suite » (45 working days without
    # news), and the lead it is the next step of.
    reply_address = Column(String(128))
    contact_withdrawn_at = Column(DateTime(timezone=True))
    flagged_at = Column(DateTime(timezone=True), index=True)
    previous_lead_id = Column(Integer, ForeignKey("leads.id", ondelete="SET NULL"), index=True)

    history = relationship(
        "StatusChange",
        back_populates="lead",
        cascade="all, delete-orphan",
        order_by="StatusChange.at",
    )


class Advisor(Base):
    """An account of the advisor workspace; sees the leads of its organisation (admins: all)."""

    __tablename__ = "advisors"
    id = Column(Integer, primary_key=True)
    email = Column(String(254), unique=True, nullable=False)
    name = Column(String(120), nullable=False)
    organisation_id = Column(String(64), ForeignKey("organisations.id"), nullable=False)
    role = Column(String(16), nullable=False, default="conseiller")
    password_hash = Column(String(200), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    failed_logins = Column(Integer, nullable=False, default=0)
    locked_until = Column(DateTime(timezone=True))
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    # Bumped by logout, password change and disabling: older session cookies stop working.
    session_version = Column(Integer, nullable=False, default=0, server_default="0")


class Note(Base):
    """An advisor's note on a lead (a call, an appointment…)."""

    __tablename__ = "lead_notes"
    id = Column(Integer, primary_key=True)
    lead_id = Column(
        Integer, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False, index=True
    )
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    author = Column(String(120), nullable=False)
    text = Column(Text, nullable=False)


class StatusChange(Base):
    """Audit trail of a lead: who changed what, when, from → to, why."""

    __tablename__ = "lead_status_changes"
    id = Column(Integer, primary_key=True)
    lead_id = Column(
        Integer, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False, index=True
    )
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    actor = Column(String(120), nullable=False)
    from_status = Column(String(32))
    to_status = Column(String(32), nullable=False)
    comment = Column(Text)
    lead = relationship("Lead", back_populates="history")


class MisunderstoodMessage(Base):
    """A message the assistant did not understand, kept for advisors to label."""

    __tablename__ = "misunderstood_messages"
    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    text = Column(Text, nullable=False)
    ranking = Column(JSON, nullable=False, default=list)
    status = Column(String(16), nullable=False, default="nouveau")
    label = Column(String(64))
    # Organisation of the offer the conversation was routed to; None: admins only.
    organisation_id = Column(String(64), index=True)


class Feedback(Base):
    """ "Cette orientation vous a-t-elle été utile ?" answers."""

    __tablename__ = "feedback"
    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    offer_id = Column(String(64))
    useful = Column(Boolean)
    comment = Column(Text)


class Erasure(Base):
    """A person's erasure of their data: when, from which channel, how much (no personal data)."""

    __tablename__ = "erasures"
    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    channel = Column(String(32), nullable=False)
    requested_by = Column(String(16), nullable=False)  # "person" (chat) or "advisor"
    leads = Column(Integer, nullable=False, default=0)
    rows = Column(Integer, nullable=False, default=0)  # rows of the leads database
    tracker_events = Column(Integer, nullable=False, default=0)


class FollowUp(Base):
    """One message of the follow-up loop, sent or to be sent: to the person (taken in charge,
    unreachable, still waiting, satisfaction survey) or an advisors' reminder digest.

    `key` makes each message happen once whatever the retries ("person_taken:42:317": lead 42,
    status change 317); a failed send stays `pending` with its error, retried on the next run.
    """

    __tablename__ = "followups"
    id = Column(Integer, primary_key=True)
    key = Column(String(200), unique=True, nullable=False)
    kind = Column(String(40), nullable=False, index=True)
    lead_id = Column(Integer, ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    channel = Column(String(32), nullable=False)  # email, sms, whatsapp, telegram
    recipient = Column(String(254), nullable=False)
    status = Column(String(16), nullable=False, default="pending", index=True)  # pending, sent
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(Text)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    sent_at = Column(DateTime(timezone=True))


class SatisfactionAnswer(Base):
    """The person's answer to the survey sent 10 days after closing: one per lead."""

    __tablename__ = "satisfaction_answers"
    id = Column(Integer, primary_key=True)
    lead_id = Column(
        Integer, ForeignKey("leads.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    contacted = Column(Boolean, nullable=False)
    helpful = Column(Boolean)
    comment = Column(Text)


class OrientationReview(Base):
    """An advisor's verdict on the assistant's orientation of a lead: right, or which offer
    was the right one and why. The measure of orientation quality by the people who know."""

    __tablename__ = "orientation_reviews"
    id = Column(Integer, primary_key=True)
    lead_id = Column(
        Integer, ForeignKey("leads.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    advisor = Column(String(120), nullable=False)
    oriented_offer_id = Column(String(64))  # what the assistant proposed
    right_offer_id = Column(String(64), nullable=False)  # the same when it was right
    reason = Column(Text)
