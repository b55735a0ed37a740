"""Coverage and delays, for the figures page: the offers nobody can take (their organisation
has no active account in the workspace: its leads would wait unread), and, per organisation,
the median time from a lead's arrival to its taking in charge and to its closing, read from the
status history (`StatusChange`: the first change into each)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from statistics import median

from sqlalchemy import select

from bot.leads.models import Advisor, Lead, StatusChange
from bot.leads.repository import LeadRepository
from bot.leads.statuses import CLOSED
from bot.orientation.catalogue import Offer


@dataclass
class Delays:
    organisation: str
    taken: int  # leads taken in charge
    to_taken: timedelta | None  # median time to « pris en charge »
    closed: int
    to_closed: timedelta | None  # median time to a closing status


def aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes (stored in UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def uncovered_offers(repository: LeadRepository, organisation_id: str | None) -> list[Offer]:
    with repository.sessions() as session:
        covered = set(
            session.scalars(select(Advisor.organisation_id).where(Advisor.active.is_(True)))
        )
    return [
        offer
        for offer in repository.catalogue.offers.values()
        if offer.organisation not in covered and organisation_id in (None, offer.organisation)
    ]


def delays_by_organisation(repository: LeadRepository, organisation_id: str | None) -> list[Delays]:
    query = (
        select(
            Lead.organisation_id, Lead.created_at, StatusChange.to_status, StatusChange.at, Lead.id
        )
        .join(StatusChange, StatusChange.lead_id == Lead.id)
        .order_by(StatusChange.at, StatusChange.id)
    )
    if organisation_id is not None:
        query = query.where(Lead.organisation_id == organisation_id)
    firsts: dict[tuple, timedelta] = {}  # (organisation, lead id, "taken"/"closed") → span
    with repository.sessions() as session:
        rows = session.execute(query).all()
    for organisation, created_at, status, at, lead_id in rows:
        kind = "taken" if status == "pris_en_charge" else "closed" if status in CLOSED else None
        if kind and (organisation, lead_id, kind) not in firsts:
            firsts[(organisation, lead_id, kind)] = aware(at) - aware(created_at)
    spans: dict[str, dict[str, list[timedelta]]] = defaultdict(lambda: defaultdict(list))
    for (organisation, _, kind), span in firsts.items():
        spans[organisation or "—"][kind].append(span)
    names = repository.catalogue.organisations
    return [
        Delays(
            names[o].name if o in names else o,
            len(s["taken"]),
            median(s["taken"]) if s["taken"] else None,
            len(s["closed"]),
            median(s["closed"]) if s["closed"] else None,
        )
        for o, s in sorted(spans.items())
    ]


def duration(span: timedelta | None) -> str:
    """« 3 h », « 2,5 jours »: what an advisor reads in a table."""
    if span is None:
        return "—"
    hours = span.total_seconds() / 3600
    if hours < 48:
        return f"{max(hours, 0):.0f} h"
    return f"{hours / 24:.1f} jours".replace(".", ",")
