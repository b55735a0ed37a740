"""What the follow-up loop has to do at a given moment, as pure functions of the leads (with
their status history), the keys already recorded and the clock: no database, no network.

Each message has a stable key (`FollowUp.key`), so that it happens once whatever the number
of runs. Person messages (`person_*`) need the person's consent and a channel that allows it;
advisor reminders are items gathered in one digest per organisation; at 45 working days
without a status change a lead still open is flagged « sans suite ».
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.followup.calendar import PARIS, add_working_days, local_day
from bot.leads.statuses import CLOSED

WAITING_DAYS = 5  # working days in « nouveau » before the person gets an apology
NEW_REMINDER_DAYS = 3  # working days in « nouveau » before advisors are reminded
STALE_REMINDER_DAYS = (15, 30)  # working days « pris en charge » without a status change
FLAG_DAYS = 45  # working days without a status change: « sans suite »
SURVEY_DAYS = 10  # calendar days after closing
# A message about old news is noise: status news is told within 2 days or not at all, the
# survey within 30 days of being due (its link lives 60 days, bot/followup/tokens.py).
NEWS_WINDOW = timedelta(days=2)
SURVEY_WINDOW = timedelta(days=30)
# Nobody gets a message at night: outside these hours (Paris) the run sends nothing.
SENDING_HOURS = (time(8, 0), time(20, 0))

PERSON_KINDS = ("person_taken", "person_unreachable", "person_waiting", "person_survey")
REMINDER = "advisor_reminder"


@dataclass(frozen=True)
class PersonDue:
    key: str
    kind: str
    lead: object  # bot.leads.models.Lead, its history loaded
    channel: str  # email, sms, whatsapp, telegram
    recipient: str
    change: object | None = None  # the StatusChange it tells of
    since: datetime | None = None  # when it became due


@dataclass(frozen=True)
class Reminder:
    key: str
    lead: object
    stage: str  # nouveau, sans_changement_15, sans_changement_30
    organisation_id: str
    advisor_id: int | None = None  # the lead's assignee: the reminder goes to them


@dataclass
class Plan:
    person: list[PersonDue]
    reminders: list[Reminder]
    flags: list[object]  # leads to flag « sans suite »


def aware(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back; they were written in UTC."""
    from datetime import timezone

    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def sending_hours(now: datetime) -> bool:
    local = aware(now).astimezone(PARIS).time()
    return SENDING_HOURS[0] <= local < SENDING_HOURS[1]


def real_changes(lead) -> list:
    """Status changes proper (an assignment is logged with the status unchanged)."""
    return sorted(
        (c for c in lead.history if c.from_status != c.to_status),
        key=lambda c: (aware(c.at), c.id or 0),
    )


def last_change_at(lead) -> datetime:
    changes = real_changes(lead)
    return aware(changes[-1].at) if changes else aware(lead.created_at)


def reached(start: datetime, working_days: int, now: datetime) -> bool:
    """Has the `working_days`-th working day after `start` begun (Paris time) at `now`?"""
    return local_day(now) >= add_working_days(start, working_days)


def contact_channel(lead, available: Iterable[str]) -> tuple[str, str] | None:
    """Where the person can be written to, or None: never without consent, never after a
    withdrawal. The app they wrote from first (their address kept with their consent), then
    their e-mail, then an SMS to a mobile number."""
    available = set(available)
    if not lead.consent_version or lead.contact_withdrawn_at is not None:
        return None
    address = lead.reply_address or ""
    if address.startswith("telegram:") and "telegram" in available:
        return "telegram", address.split(":", 1)[1]
    if address.startswith("whatsapp:") and "whatsapp" in available:
        return "whatsapp", address
    if address.startswith("sms:") and "sms" in available:
        return "sms", address.split(":", 1)[1]
    if lead.email and "email" in available:
        return "email", lead.email
    if lead.phone and "sms" in available and is_mobile(lead.phone):
        return "sms", lead.phone
    return None


def is_mobile(e164: str) -> bool:
    """SMS reach French mobiles (06, 07) and overseas numbers; not landlines."""
    return not e164.startswith("+33") or e164[3:4] in ("6", "7")


def person_due(lead, now: datetime) -> list[tuple[str, str, object | None, datetime]]:
    """(key, kind, change, since) of the messages this lead's person is due at `now`."""
    due = []
    changes = real_changes(lead)
    latest = changes[-1] if changes else None
    if latest is not None and now - aware(latest.at) <= NEWS_WINDOW:
        if latest.to_status == "pris_en_charge":
            due.append(
                (f"person_taken:{lead.id}:{latest.id}", "person_taken", latest, aware(latest.at))
            )
        elif latest.to_status == "injoignable":
            due.append(
                (
                    f"person_unreachable:{lead.id}:{latest.id}",
                    "person_unreachable",
                    latest,
                    aware(latest.at),
                )
            )
    if (
        lead.status == "nouveau"
        and lead.flagged_at is None
        and reached(aware(lead.created_at), WAITING_DAYS, now)
    ):
        due.append((f"person_waiting:{lead.id}", "person_waiting", None, aware(lead.created_at)))
    if lead.status in CLOSED and latest is not None and latest.to_status in CLOSED:
        when = aware(latest.at) + timedelta(days=SURVEY_DAYS)
        if when <= now <= when + SURVEY_WINDOW:
            due.append((f"person_survey:{lead.id}", "person_survey", latest, when))
    return due


def reminders_due(lead, now: datetime) -> list[Reminder]:
    org = lead.organisation_id or "sem-ess"
    if lead.status == "nouveau" and reached(aware(lead.created_at), NEW_REMINDER_DAYS, now):
        return [Reminder(f"remind:{lead.id}:nouveau", lead, "nouveau", org, lead.advisor_id)]
    if lead.status == "pris_en_charge":
        since = last_change_at(lead)
        latest = real_changes(lead)[-1]
        stages = [d for d in STALE_REMINDER_DAYS if reached(since, d, now)]
        if stages:
            # Only the latest stage reached: after a long outage, one reminder, not two.
            days = stages[-1]
            return [
                Reminder(
                    f"remind:{lead.id}:{latest.id}:{days}",
                    lead,
                    f"sans_changement_{days}",
                    org,
                    lead.advisor_id,
                )
            ]
    return []


def to_flag(lead, now: datetime) -> bool:
    return (
        lead.status not in CLOSED
        and lead.flagged_at is None
        and reached(last_change_at(lead), FLAG_DAYS, now)
    )


def plan(leads: Iterable, now: datetime, done: set[str], available: Iterable[str]) -> Plan:
    """Everything due at `now` and not in `done` (the keys of messages already sent)."""
    now = aware(now)
    available = set(available)
    result = Plan([], [], [])
    for lead in leads:
        if to_flag(lead, now):
            result.flags.append(lead)
        channel = contact_channel(lead, available)
        if channel is not None:
            for key, kind, change, since in person_due(lead, now):
                if key not in done:
                    result.person.append(PersonDue(key, kind, lead, *channel, change, since))
        if "email" in available:
            result.reminders.extend(r for r in reminders_due(lead, now) if r.key not in done)
    return result
