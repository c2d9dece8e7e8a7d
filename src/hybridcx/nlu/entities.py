"""Entities the Tier 1 flows need: order numbers, emails, phone numbers, dates and times."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from hybridcx.nlu.dates import DateMatch, find_dates

EntityType = Literal["order_number", "email", "phone", "date", "datetime", "time"]

EMAIL_PATTERN = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
#: Demo format: "#1001", "order 1001", "order no. 1001", or a bare number of 4-8 digits.
ORDER_PATTERN = re.compile(
    r"(?:\border\s*(?:number|no\.?|num|id)?\s*[:#]?\s*|#)(\d{3,10})\b|\b(\d{4,8})\b", re.I
)


@dataclass(frozen=True)
class Entity:
    """One mention: `value` is normalised (E.164 phone, ISO date, lower-case email domain),
    `raw` the text as written, `start`/`end` its span; `valid` is False with a `reason` when
    the mention was recognised but cannot be used (a past booking date, an impossible phone)."""

    type: EntityType
    value: str
    raw: str
    start: int
    end: int
    valid: bool = True
    reason: str | None = None


def extract_entities(text: str, *, now: datetime, region: str = "US") -> list[Entity]:
    """All entities in `text`, without overlaps (emails, then phones, dates, order numbers).

    Dates are resolved against `now`; a date or date-time before `now` is marked invalid,
    because the flows use dates for bookings.
    """
    found: list[Entity] = []
    found += _emails(text)
    found += _without_overlap(_phones(text, region), found)
    found += _without_overlap(_dates(text, now), found)
    found += _without_overlap(_order_numbers(text), found)
    return sorted(found, key=lambda e: e.start)


def _without_overlap(candidates: list[Entity], taken: list[Entity]) -> list[Entity]:
    return [c for c in candidates if all(c.end <= t.start or t.end <= c.start for t in taken)]


def _emails(text: str) -> list[Entity]:
    out = []
    for m in EMAIL_PATTERN.finditer(text):
        raw = m.group(0).rstrip(".")
        try:
            normalized = validate_email(raw, check_deliverability=False).normalized
            out.append(Entity("email", normalized, raw, m.start(), m.start() + len(raw)))
        except EmailNotValidError as exc:
            out.append(Entity("email", raw, raw, m.start(), m.start() + len(raw), False, str(exc)))
    return out


def _phones(text: str, region: str) -> list[Entity]:
    out = []
    matcher = phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE)
    for match in matcher:
        number = match.number
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        digits = re.sub(r"\D", "", match.raw_string)
        if len(digits) < 7:  # short digit runs are order numbers, not phones
            continue
        valid = phonenumbers.is_valid_number(number)
        out.append(
            Entity(
                "phone",
                e164,
                match.raw_string,
                match.start,
                match.end,
                valid,
                None if valid else "not a valid phone number",
            )
        )
    return out


def _dates(text: str, now: datetime) -> list[Entity]:
    return [_date_entity(text, m, now) for m in find_dates(text, now=now)]


def _date_entity(text: str, m: DateMatch, now: datetime) -> Entity:
    raw = text[m.start : m.end]
    if isinstance(m.value, datetime):
        past = m.value < now  # combined with now.tzinfo, so both are naive or both aware
        return Entity(
            "datetime",
            m.value.isoformat(timespec="minutes"),
            raw,
            m.start,
            m.end,
            not past,
            "in the past" if past else None,
        )
    if isinstance(m.value, date):
        past = m.value < now.date()
        return Entity(
            "date",
            m.value.isoformat(),
            raw,
            m.start,
            m.end,
            not past,
            "in the past" if past else None,
        )
    assert isinstance(m.value, time)
    return Entity("time", m.value.strftime("%H:%M"), raw, m.start, m.end)


def _order_numbers(text: str) -> list[Entity]:
    out = []
    for m in ORDER_PATTERN.finditer(text):
        digits = m.group(1) or m.group(2)
        out.append(Entity("order_number", digits, m.group(0).strip(), m.start(), m.end()))
    return out
