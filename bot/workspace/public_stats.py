"""The public statistics (`/statistiques`): what the service did, month by month, for anyone to
read — conversations, orientations by axis and offer, call-back requests, the median time to be
called back, satisfaction answers.

No cell counts fewer than SMALL people: such a cell reads « moins de 5 ». Where the parts of a
published total are shown (orientations by axis or offer, satisfaction's yes and no), one
hidden part could be worked out by subtraction, so the next smallest part is hidden too.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from statistics import median

from sqlalchemy import select, text

from bot.leads.models import Lead, SatisfactionAnswer, StatusChange
from bot.leads.repository import LeadRepository
from bot.orientation.catalogue import AXES
from bot.workspace.delays import aware
from bot.workspace.privacy import tracker_engine

SMALL = 5
HIDDEN = "moins de 5"
MONTHS = 12


@dataclass
class Month:
    conversations: set = field(default_factory=set)
    offers: Counter = field(default_factory=Counter)  # offer id → conversations oriented there
    callbacks: int = 0
    waits: list = field(default_factory=list)  # arrival → taken in charge
    answers: int = 0
    contacted: int = 0
    helped: int = 0


def month_of(moment: datetime) -> str:
    return aware(moment).strftime("%Y-%m")


def shown(n: int) -> str:
    return str(n) if n >= SMALL else HIDDEN


def parts(counts: dict, total: int) -> dict:
    """The published cells of the parts of a published total (see the module docstring)."""
    cells = {key: shown(n) for key, n in counts.items()}
    hidden = [key for key, cell in cells.items() if cell == HIDDEN]
    if len(hidden) == 1 and total >= SMALL:
        rest = sorted((n, key) for key, n in counts.items() if cells[key] != HIDDEN)
        if rest:
            cells[rest[0][1]] = HIDDEN
    return cells


def wait_text(waits: list[timedelta]) -> str:
    if len(waits) < SMALL:
        return HIDDEN
    days = median(waits).total_seconds() / 86400
    return (f"{days * 24:.0f} h" if days < 2 else f"{days:.1f} jours").replace(".", ",")


@dataclass
class PublicStatistics:
    months: list[str]
    rows: list[dict]  # one per month, the cells of the main table
    by_axis: list[dict]  # one per month: axis → cell
    by_offer: dict[str, list[str]]  # offer title → one cell per month
    series: dict[str, list[int | None]]  # the chart's values (None: hidden)


def read_tracker(months: dict[str, Month], tracker_url: str | None) -> None:
    try:
        with tracker_engine(tracker_url).connect() as connection:
            rows = list(
                connection.execute(
                    text(
                        "SELECT sender_id, type_name, timestamp, data FROM events "
                        "WHERE type_name IN ('user', 'slot')"
                    )
                )
            )
    except Exception:  # noqa: BLE001 - no conversation stored yet
        return
    oriented = set()
    for sender, type_name, timestamp, data in rows:
        month = datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m")
        if type_name == "user":
            months[month].conversations.add(sender)
            continue
        event = json.loads(data)
        offer = event.get("value") if event.get("name") == "offer" else None
        if isinstance(offer, str) and (sender, month, offer) not in oriented:
            oriented.add((sender, month, offer))
            months[month].offers[offer] += 1


def compute_public(
    repository: LeadRepository, tracker_url: str | None = None, now: datetime | None = None
) -> PublicStatistics:
    now = now or datetime.now(timezone.utc)
    months: dict[str, Month] = defaultdict(Month)
    read_tracker(months, tracker_url)
    with repository.sessions() as session:
        leads = session.execute(select(Lead.id, Lead.created_at)).all()
        taken = session.execute(
            select(StatusChange.lead_id, StatusChange.at)
            .where(StatusChange.to_status == "pris_en_charge")
            .order_by(StatusChange.at)
        ).all()
        answers = session.scalars(select(SatisfactionAnswer)).all()
    first_taken: dict[int, datetime] = {}
    for lead_id, at in taken:
        first_taken.setdefault(lead_id, aware(at))
    for lead_id, created_at in leads:
        month = months[month_of(created_at)]
        month.callbacks += 1
        if lead_id in first_taken:
            month.waits.append(first_taken[lead_id] - aware(created_at))
    for answer in answers:
        month = months[month_of(answer.at)]
        month.answers += 1
        month.contacted += bool(answer.contacted)
        month.helped += answer.helpful is True
    keys = sorted(k for k in months if k <= now.strftime("%Y-%m"))[-MONTHS:]
    return tabulate(repository, keys, months)


def tabulate(
    repository: LeadRepository, keys: list[str], months: dict[str, Month]
) -> PublicStatistics:
    catalogue = repository.catalogue
    rows, by_axis, series = [], [], defaultdict(list)
    by_offer: dict[str, list[str]] = {o.title: [] for o in catalogue.offers.values()}
    for key in keys:
        m = months[key]
        oriented = sum(m.offers.values())
        satisfaction = {"contacted": m.contacted, "not": m.answers - m.contacted}
        helped = {"helped": m.helped, "not": m.answers - m.helped}
        rows.append(
            {
                "month": key,
                "conversations": shown(len(m.conversations)),
                "orientations": shown(oriented),
                "callbacks": shown(m.callbacks),
                "wait": wait_text(m.waits),
                "answers": shown(m.answers),
                "contacted": parts(satisfaction, m.answers)["contacted"],
                "helped": parts(helped, m.answers)["helped"],
            }
        )
        axes = Counter()
        for offer_id, n in m.offers.items():
            if offer_id in catalogue:
                axes[catalogue[offer_id].axis] += n
        by_axis.append(parts({axis: axes[axis] for axis in AXES}, oriented))
        offers = parts({o.id: m.offers[o.id] for o in catalogue.offers.values()}, oriented)
        for offer in catalogue.offers.values():
            by_offer[offer.title].append(offers[offer.id])
        for name, n in (
            ("Conversations", len(m.conversations)),
            ("Orientations", oriented),
            ("Demandes de rappel", m.callbacks),
        ):
            series[name].append(n if n >= SMALL else None)
    return PublicStatistics(keys, rows, by_axis, by_offer, dict(series))


MONTH_NAMES = (
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
)


def month_label(key: str) -> str:
    year, month = key.split("-")
    return f"{MONTH_NAMES[int(month) - 1]} {year}"
