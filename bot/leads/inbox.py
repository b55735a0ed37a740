"""The advisors' inbox: filtered, paged leads of an organisation, the most qualified first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import case, func, or_, select

from bot.followup.calendar import working_days_between
from bot.leads.models import Lead
from bot.leads.qualification import LEVEL_ORDER
from bot.leads.repository import LeadRepository
from bot.leads.statuses import CLOSED
from bot.orientation.catalogue import get_catalogue

PAGE_SIZE = 25
WAITING_WORKING_DAYS = 5
MAX_PAGE = 100_000
YEARS = range(2000, 2101)


class FilterError(ValueError):
    """A filter no form produces (a hand-made address): the message is shown to the advisor."""


@dataclass
class Filters:
    offer: str = ""
    phase: str = ""
    status: str = ""
    commune: str = ""
    channel: str = ""
    since: str = ""  # YYYY-MM-DD
    until: str = ""
    youth: str = ""  # "", "oui", "non"
    suite: str = ""  # "sans_suite": flagged by the follow-up loop, still open
    q: str = ""
    page: int = 1

    @classmethod
    def from_query(cls, params) -> Filters:
        """The filters of a query string; FilterError for a page or a date out of range."""
        values = {
            k: str(params.get(k, "") or "")[:100].replace("\x00", "")
            for k in (
                "offer",
                "phase",
                "status",
                "commune",
                "channel",
                "since",
                "until",
                "youth",
                "suite",
                "q",
            )
        }
        for key in ("since", "until"):
            if values[key] and _parse_date(values[key]) is None:
                raise FilterError(
                    f"La date « {values[key]} » n'est pas valide : utilisez le "
                    f"format AAAA-MM-JJ (années {YEARS[0]} à {YEARS[-1]})."
                )
        page = str(params.get("page", "") or "1").strip()
        if not (page.isascii() and page.isdigit() and 1 <= int(page) <= MAX_PAGE):
            raise FilterError(
                "Numéro de page invalide : un nombre entier de 1 à 100 000 est attendu."
            )
        return cls(**values, page=int(page))


@dataclass
class Page:
    leads: list[Lead]
    total: int
    page: int
    pages: int
    waiting: set[int] = field(default_factory=set)


def _parse_date(text: str) -> datetime | None:
    """A day from 2000 to 2100 (the day after must exist too), or None."""
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    return day if day.year in YEARS else None


def visible(query, organisation_id: str | None):
    """Only the leads of the advisor's organisation; None means an admin (all)."""
    return (
        query if organisation_id is None else query.where(Lead.organisation_id == organisation_id)
    )


def search(
    repository: LeadRepository,
    filters: Filters,
    organisation_id: str | None,
    page_size: int = PAGE_SIZE,
    now: datetime | None = None,
    paged: bool = True,
) -> Page:
    query = visible(select(Lead), organisation_id)
    if filters.offer:
        query = query.where(Lead.offer_id == filters.offer)
    if filters.phase:
        offers = [o.id for o in get_catalogue().offers.values() if o.phase == filters.phase]
        query = query.where(Lead.offer_id.in_(offers))
    if filters.status:
        query = query.where(Lead.status == filters.status)
    if filters.commune:
        query = query.where(Lead.commune.ilike(f"%{filters.commune}%"))
    if filters.channel:
        query = query.where(Lead.channel == filters.channel)
    if _parse_date(filters.since):
        query = query.where(Lead.created_at >= _parse_date(filters.since))
    if _parse_date(filters.until):
        query = query.where(Lead.created_at < _parse_date(filters.until) + timedelta(days=1))
    if filters.youth in ("oui", "non"):
        query = query.where(Lead.youth.is_(filters.youth == "oui"))
    if filters.suite == "sans_suite":
        query = query.where(Lead.flagged_at.is_not(None), Lead.status.not_in(CLOSED))
    if filters.q:
        like = f"%{filters.q}%"
        query = query.where(
            or_(
                Lead.last_name.ilike(like),
                Lead.first_name.ilike(like),
                Lead.reference.ilike(like),
                Lead.email.ilike(like),
                Lead.structure_name.ilike(like),
                Lead.project_summary.ilike(like),
            )
        )
    level_rank = case(
        *[(Lead.level == level, rank) for level, rank in LEVEL_ORDER.items()], else_=9
    )
    with repository.sessions() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery()))
        pages = max(1, -(-total // page_size))
        current = min(filters.page, pages)  # past the last page: the last one
        ordered = query.order_by(level_rank, Lead.created_at)
        if paged:
            ordered = ordered.offset((current - 1) * page_size).limit(page_size)
        leads = list(session.scalars(ordered))
    now = now or datetime.now(timezone.utc)
    waiting = {
        lead.id
        for lead in leads
        if lead.status == "nouveau"
        and working_days_between(lead.created_at, now) > WAITING_WORKING_DAYS
    }
    return Page(leads, total, current, pages, waiting)
