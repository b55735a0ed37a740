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

    history = relationship("StatusChange", back_populates="lead", cascade="all, delete-orphan",
                           order_by="StatusChange.at")


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
    lead_id = Column(Integer, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False,
                     index=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    author = Column(String(120), nullable=False)
    text = Column(Text, nullable=False)


class StatusChange(Base):
    """Audit trail of a lead: who changed what, when, from → to, why."""
    __tablename__ = "lead_status_changes"
    id = Column(Integer, primary_key=True)
    lead_id = Column(Integer, ForeignKey("leads.id", ondelete="CASCADE"), nullable=False,
                     index=True)
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
    """"Cette orientation vous a-t-elle été utile ?" answers."""
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
