from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hybridcx.nlu.entities import extract_entities

NOW = datetime(2026, 11, 27, 10, 0)  # a Friday


def one(text: str, kind: str, now: datetime = NOW):
    found = [e for e in extract_entities(text, now=now) if e.type == kind]
    assert len(found) == 1, extract_entities(text, now=now)
    return found[0]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Where is order #1001?", "1001"),
        ("order 1002 please", "1002"),
        ("it's 1003", "1003"),
        ("Order no. 55555 is late", "55555"),
    ],
)
def test_order_numbers(text: str, number: str):
    e = one(text, "order_number")
    assert e.value == number
    assert text[e.start : e.end] == e.raw


def test_email_is_normalised_and_invalid_email_flagged():
    e = one("I'm Alex@Example.COM.", "email")
    assert e.value == "Alex@example.com" and e.valid and e.raw == "Alex@Example.COM"
    bad = one("mail me at alex@localhost", "email")
    assert not bad.valid and bad.reason


def test_phone_numbers():
    e = one("call me on (415) 555-2671", "phone")
    assert e.value == "+14155552671" and e.valid
    uk = one("or +44 20 7946 0958", "phone")
    assert uk.value == "+442079460958"
    bad = one("my number is 555-0000", "phone")
    assert not bad.valid


def test_order_number_is_not_a_phone():
    kinds = [e.type for e in extract_entities("order 1001", now=NOW)]
    assert kinds == ["order_number"]


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("tomorrow at 3pm", "datetime", "2026-11-28T15:00"),
        ("next Monday 10:00", "datetime", "2026-11-30T10:00"),
        ("Can I come Monday at 10?", "datetime", "2026-11-30T10:00"),
        ("Dec 3", "date", "2026-12-03"),
        ("on the 3rd of December at 2:30pm", "datetime", "2026-12-03T14:30"),
        ("January 5th works", "date", "2027-01-05"),
        ("2026-12-24", "date", "2026-12-24"),
        ("at noon", "time", "12:00"),
        ("today at 4 pm", "datetime", "2026-11-27T16:00"),
    ],
)
def test_dates_relative_to_now(text: str, kind: str, value: str):
    e = one(text, kind)
    assert e.value == value and e.valid


def test_next_weekday_on_that_weekday_is_a_week_later():
    monday = datetime(2026, 11, 30, 9, 0)
    assert one("next Monday", "date", monday).value == "2026-12-07"
    assert one("Friday", "date").value == "2026-11-27"


@pytest.mark.parametrize("text", ["today at 9am", "Nov 2 2026", "2025-01-01"])
def test_past_dates_are_invalid_for_booking(text: str):
    e = extract_entities(text, now=NOW)[0]
    assert not e.valid and e.reason == "in the past"


def test_invalid_calendar_date_is_not_extracted():
    assert extract_entities("Feb 30", now=NOW) == []


def test_aware_now_gives_aware_datetime():
    now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    e = one("tomorrow at 3pm", "datetime", now)
    assert e.value == "2026-11-28T15:00+00:00"


def test_plain_text_has_no_entities():
    assert extract_entities("I sat by the sun and it was nice", now=NOW) == []
