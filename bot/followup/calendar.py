"""Working days in France: Monday to Friday, minus the public holidays (the `holidays` library,
maintained, rather than a hand list). Delays of the follow-up loop count in local days
(Europe/Paris): a lead confirmed on a Friday evening waits from the next working day."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

PARIS = ZoneInfo("Europe/Paris")
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


@lru_cache(maxsize=64)
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("FR", years=year)


def local_day(moment: datetime | date) -> date:
    """The day in Paris of a moment (naive datetimes are read as UTC, as SQLite returns them)."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo("UTC"))
        return moment.astimezone(PARIS).date()
    return moment


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(start: datetime | date, count: int) -> date:
    """The `count`-th working day after the day of `start` (that day itself not counted)."""
    day = local_day(start)
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def working_days_between(start: datetime | date, end: datetime | date) -> int:
    """Working days after the day of `start`, up to and including the day of `end`."""
    day, last, count = local_day(start), local_day(end), 0
    while day < last:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count


def french_date(day: date) -> str:
    """« mardi 7 avril » — how a date reads in a message."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{WEEKDAYS[day.weekday()]} {number} {MONTHS[day.month - 1]}"
