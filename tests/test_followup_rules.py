"""The follow-up loop's pure rules: working days and the channel a person is written to."""

from datetime import date, datetime, timezone
from types import SimpleNamespace

from bot.followup.calendar import add_working_days, french_date, is_working_day, local_day
from bot.followup.rules import contact_channel, sending_hours

ALL = {"email", "sms", "whatsapp", "telegram"}


def lead(**over):
    values = dict(
        consent_version="v1",
        contact_withdrawn_at=None,
        reply_address=None,
        email="lea@example.org",
        phone="+33612345678",
    )
    values.update(over)
    return SimpleNamespace(**values)


def test_french_public_holidays_are_not_working_days():
    for holiday in (
        date(2026, 5, 1),
        date(2026, 5, 14),
        date(2026, 7, 14),
        date(2026, 11, 11),
        date(2026, 12, 25),
        date(2026, 4, 6),
    ):  # …, Ascension, Easter Monday
        assert not is_working_day(holiday)
    assert is_working_day(date(2026, 5, 15)) and not is_working_day(date(2026, 5, 16))
    # Thursday 30 April: Friday 1 May off, then the weekend: Monday 4 May.
    assert add_working_days(date(2026, 4, 30), 1) == date(2026, 5, 4)
    assert french_date(date(2026, 5, 1)) == "vendredi 1er mai"


def test_days_are_counted_in_paris():
    # 23:30 UTC on Friday is already Saturday in Paris.
    assert local_day(datetime(2026, 6, 5, 23, 30, tzinfo=timezone.utc)) == date(2026, 6, 6)
    assert not sending_hours(datetime(2026, 6, 5, 19, 30, tzinfo=timezone.utc))  # 21:30
    assert sending_hours(datetime(2026, 6, 5, 7, 0, tzinfo=timezone.utc))  # 9:00


def test_the_app_they_wrote_from_first_then_email_then_a_mobile():
    assert contact_channel(lead(reply_address="telegram:42"), ALL) == ("telegram", "42")
    assert contact_channel(lead(reply_address="whatsapp:+33611111111"), ALL) == (
        "whatsapp",
        "whatsapp:+33611111111",
    )
    assert contact_channel(lead(reply_address="telegram:42"), {"email"}) == (
        "email",
        "lea@example.org",
    )
    assert contact_channel(lead(email=None), ALL) == ("sms", "+33612345678")
    assert contact_channel(lead(email=None, phone="+33477000000"), ALL) is None  # landline
    assert contact_channel(lead(email=None, phone="+262692123456"), ALL) == (
        "sms",
        "+262692123456",
    )  # La Réunion
    assert contact_channel(lead(), set()) is None


def test_never_without_consent_or_after_a_withdrawal():
    assert contact_channel(lead(consent_version=None), ALL) is None
    assert (
        contact_channel(
            lead(contact_withdrawn_at=datetime.now(timezone.utc), reply_address="telegram:42"), ALL
        )
        is None
    )
