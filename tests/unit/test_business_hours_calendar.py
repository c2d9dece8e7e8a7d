"""The business-hours calendar (hybridcx.hours.calendar), parametrised over dates: ordinary
weeks, the EU and US daylight-saving changes, a year end and holidays. Pure: every question
names its instant, nothing reads the clock."""

from __future__ import annotations

from datetime import datetime

import pytest

from hybridcx.hours.calendar import Calendar, CalendarError, describe
from hybridcx.hours.service import Staffing, expected_wait_seconds, wait_text

WEEKDAYS = {d: [{"open": "09:00", "close": "17:00"}] for d in ("mon", "tue", "wed", "thu", "fri")}
BERLIN = Calendar.from_config(
    "Europe/Berlin",
    WEEKDAYS,
    [
        {
            "date": "2026-12-24",
            "name": "Christmas Eve",
            "hours": [{"open": "09:00", "close": "12:00"}],
        },
        {"date": "2026-12-25", "name": "Christmas Day", "hours": []},
        {"date": "2027-01-01", "name": "New Year's Day", "hours": []},
    ],
)
NEW_YORK = Calendar.from_config(
    "America/New_York", {**WEEKDAYS, "sat": [{"open": "10:00", "close": "14:00"}]}
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("at", "is_open"),
    [
        ("2026-12-08 08:30", True),  # Tuesday 09:30 in Berlin (UTC+1)
        ("2026-12-08 07:59", False),  # 08:59 local
        ("2026-12-08 16:00", False),  # 17:00 local: closing is exclusive
        ("2026-12-12 10:00", False),  # Saturday
        ("2026-12-24 10:00", True),  # Christmas Eve, 11:00 local: short day
        ("2026-12-24 11:00", False),  # 12:00 local: closed for the holiday
        ("2026-12-25 10:00", False),  # Christmas Day, a Friday
        ("2027-03-29 07:30", True),  # Monday after the EU change: 09:30 CEST (UTC+2)
        ("2027-03-26 07:30", False),  # the Friday before: 08:30 CET
        ("2027-10-29 15:30", False),  # Friday before the change back: 17:30 CEST
        ("2027-11-01 15:30", True),  # Monday after: 16:30 CET
    ],
)
def test_is_open_in_local_time(at: str, is_open: bool) -> None:
    assert BERLIN.is_open(utc(at)) is is_open


@pytest.mark.parametrize(
    ("at", "opens"),
    [
        ("2026-12-08 08:30", "2026-12-08 08:30"),  # open now: now
        ("2026-12-08 16:00", "2026-12-09 08:00"),  # Tuesday evening: Wednesday 09:00 CET
        ("2026-12-11 17:00", "2026-12-14 08:00"),  # Friday evening: Monday
        ("2026-12-23 20:00", "2026-12-24 08:00"),  # the short day still opens
        ("2026-12-24 11:00", "2026-12-28 08:00"),  # over Christmas and the weekend
        ("2026-12-31 16:30", "2027-01-04 08:00"),  # year end: New Year's Day, then weekend
        ("2027-03-26 17:00", "2027-03-29 07:00"),  # across the spring change: 09:00 CEST
        ("2027-10-29 16:00", "2027-11-01 08:00"),  # across the autumn change: 09:00 CET
    ],
)
def test_next_opening(at: str, opens: str) -> None:
    assert BERLIN.next_opening(utc(at)) == utc(opens)


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        ("2026-12-08 08:00", "2026-12-08 16:00", 8),  # one working day
        ("2026-12-08 12:00", "2026-12-09 12:00", 8),  # 13:00 to 13:00 local
        ("2026-12-11 15:00", "2026-12-14 09:00", 2),  # Friday 16:00 → Monday 10:00: 1 h + 1 h
        ("2026-12-23 08:00", "2026-12-28 16:00", 8 + 3 + 8),  # Christmas: short day, closed
        ("2026-12-31 08:00", "2027-01-04 16:00", 16),  # year end: the 31st and the 4th
        ("2027-03-26 07:00", "2027-03-29 17:00", 16),  # spring change: both days 8 h
        ("2026-12-08 16:00", "2026-12-08 08:00", 0),  # backwards
    ],
)
def test_business_seconds(start: str, end: str, hours: float) -> None:
    assert BERLIN.business_seconds(utc(start), utc(end)) == hours * 3600


@pytest.mark.parametrize(
    ("start", "seconds", "deadline"),
    [
        ("2026-12-08 08:00", 3600, "2026-12-08 09:00"),
        ("2026-12-08 15:30", 3600, "2026-12-09 08:30"),  # half an hour today, half tomorrow
        ("2026-12-11 20:00", 1800, "2026-12-14 08:30"),  # queued on a Friday night
        ("2026-12-24 10:30", 3600, "2026-12-28 08:30"),  # Christmas Eve closes at 12:00
    ],
)
def test_add_business_seconds(start: str, seconds: int, deadline: str) -> None:
    assert BERLIN.add_business_seconds(utc(start), seconds) == utc(deadline)


@pytest.mark.parametrize(
    ("at", "is_open", "opens"),
    [
        ("2027-03-13 15:30", True, "2027-03-13 15:30"),  # Saturday 10:30 EST (UTC-5)
        ("2027-03-13 19:00", False, "2027-03-15 13:00"),  # Monday 09:00 EDT (UTC-4)
        ("2027-11-06 14:30", True, "2027-11-06 14:30"),  # Saturday 10:30 EDT
        ("2027-11-06 18:30", False, "2027-11-08 14:00"),  # Monday 09:00 EST
    ],
)
def test_us_daylight_saving(at: str, is_open: bool, opens: str) -> None:
    assert NEW_YORK.is_open(utc(at)) is is_open
    assert NEW_YORK.next_opening(utc(at)) == utc(opens)


def test_no_hours_is_always_open_and_never_open_is_none() -> None:
    always = Calendar()
    assert always.always_open and always.is_open(utc("2026-12-25 03:00"))
    assert always.business_seconds(utc("2026-12-25 00:00"), utc("2026-12-26 00:00")) == 86400
    closed = Calendar.from_config("UTC", {}, [{"date": "2026-12-25", "hours": []}])
    assert not closed.is_open(utc("2026-12-24 12:00"))
    assert closed.next_opening(utc("2026-12-24 12:00")) is None
    assert closed.add_business_seconds(utc("2026-12-24 12:00"), 60) is None


def test_a_day_to_midnight_and_the_next_from_midnight_is_continuous() -> None:
    cal = Calendar.from_config(
        "UTC",
        {
            "mon": [{"open": "20:00", "close": "24:00"}],
            "tue": [{"open": "00:00", "close": "02:00"}],
        },
    )
    assert cal.is_open(utc("2026-12-07 23:59")) and cal.is_open(utc("2026-12-08 00:00"))
    assert cal.business_seconds(utc("2026-12-07 19:00"), utc("2026-12-08 03:00")) == 6 * 3600


@pytest.mark.parametrize(
    ("timezone", "weekly", "exceptions", "message"),
    [
        ("Mars/Olympus", {}, [], "Unknown time zone"),
        ("UTC", {"monday": []}, [], "Unknown day"),
        ("UTC", {"mon": [{"open": "9am", "close": "17:00"}]}, [], "HH:MM"),
        ("UTC", {"mon": [{"open": "17:00", "close": "09:00"}]}, [], "before it opens"),
        ("UTC", {"mon": [{"open": "24:30", "close": "25:00"}]}, [], "after 24:00"),
        (
            "UTC",
            {"mon": [{"open": "09:00", "close": "12:00"}, {"open": "11:00", "close": "13:00"}]},
            [],
            "overlap",
        ),
        ("UTC", {}, [{"date": "25/12/2026"}], "YYYY-MM-DD"),
        ("UTC", {}, [{"date": "2026-12-25"}, {"date": "2026-12-25"}], "twice"),
    ],
)
def test_bad_calendars_say_what_to_fix(
    timezone: str, weekly: dict, exceptions: list, message: str
) -> None:
    with pytest.raises(CalendarError, match=message):
        Calendar.from_config(timezone, weekly, exceptions)


def test_describe_uses_the_calendars_zone() -> None:
    assert describe(utc("2026-12-09 08:00"), "Europe/Berlin") == (
        "Wednesday 9 December at 09:00 (Europe/Berlin)"
    )


@pytest.mark.parametrize(
    ("position", "staffing", "wait"),
    [
        (1, Staffing(agents=0, free_slots=0, total_slots=0), None),  # nobody staffed
        (1, Staffing(agents=1, free_slots=1, total_slots=3), 0.0),  # a free slot
        (4, Staffing(agents=1, free_slots=1, total_slots=3), 3 * 360 / 3),
        (7, Staffing(agents=2, free_slots=0, total_slots=6), 7 * 360 / 6),
    ],
)
def test_expected_wait(position: int, staffing: Staffing, wait: float | None) -> None:
    assert expected_wait_seconds(position, staffing, 360) == wait


def test_wait_text_is_honest() -> None:
    assert "can't promise a time" in wait_text(1, None)
    assert "about a minute" in wait_text(1, 0.0)
    assert "about 6 minutes" in wait_text(3, 360) and "number 3 in line" in wait_text(3, 360)
    assert "about 3 hours" in wait_text(30, 3 * 3600)
