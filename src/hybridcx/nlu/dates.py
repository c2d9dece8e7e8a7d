"""Dates and times in customer messages ("tomorrow at 3pm", "next Monday 10:00", "Dec 3"),
resolved against a given `now` (never the wall clock, so results are reproducible)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for name in names
}
# Full names only: abbreviations like "sat" and "sun" are also ordinary words.
_WD = "|".join(WEEKDAYS)
_MON = "|".join(sorted(MONTHS, key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th)?"

DATE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")),
    ("relative", re.compile(r"\b(today|tonight|tomorrow|day after tomorrow)\b", re.I)),
    ("weekday", re.compile(rf"\b(?:(next|this|on)\s+)?({_WD})\b\.?", re.I)),
    ("month_day", re.compile(rf"\b({_MON})\.?\s+(\d{{1,2}}){_ORD}(?:,?\s+(\d{{4}}))?\b", re.I)),
    (
        "day_month",
        re.compile(rf"\b(\d{{1,2}}){_ORD}\s+(?:of\s+)?({_MON})\b\.?(?:,?\s+(\d{{4}}))?", re.I),
    ),
]
TIME_PATTERN = re.compile(
    r"\b(?:at\s+)?(?:(noon|midday|midnight)|(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)"
    r"|([01]?\d|2[0-3]):([0-5]\d))(?![\d:])"
    r"|\bat\s+(\d{1,2})\b(?![\d:.,]?\d|\s*(?:%|percent|days?|weeks?|items?))",
    re.I,
)
#: "at 10" with no am/pm: shop hours make 8-11 the morning and 1-7 the afternoon.
_BARE_HOUR = {h: h for h in range(8, 13)} | {h: h + 12 for h in range(1, 8)}


@dataclass(frozen=True)
class DateMatch:
    """A date or time mention; `value` is a date, a time, or both combined."""

    start: int
    end: int
    value: datetime | date | time
    has_date: bool
    has_time: bool


def find_dates(text: str, *, now: datetime) -> list[DateMatch]:
    """Every date/time mention, with a date and an adjacent time merged into one datetime."""
    dates = _find_dates_only(text, now.date())
    times = _find_times(text)
    merged: list[DateMatch] = []
    used_times: set[int] = set()
    for d in dates:
        partner = _adjacent_time(text, d, times, used_times)
        if partner is not None:
            used_times.add(partner.start)
            assert isinstance(d.value, date) and isinstance(partner.value, time)
            value = datetime.combine(d.value, partner.value, tzinfo=now.tzinfo)
            merged.append(
                DateMatch(min(d.start, partner.start), max(d.end, partner.end), value, True, True)
            )
        else:
            merged.append(d)
    merged.extend(t for t in times if t.start not in used_times)
    return sorted(merged, key=lambda m: m.start)


def _adjacent_time(
    text: str, d: DateMatch, times: list[DateMatch], used: set[int]
) -> DateMatch | None:
    for t in times:
        if t.start in used:
            continue
        gap = text[d.end : t.start] if t.start >= d.end else text[t.end : d.start]
        if len(gap) <= 6 and re.fullmatch(r"[\s,]*(?:at|@|,)?[\s,]*", gap, re.I):
            return t
    return None


def _find_dates_only(text: str, today: date) -> list[DateMatch]:
    found: list[DateMatch] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in DATE_PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            value = _resolve(kind, m, today)
            if value is None:
                continue
            taken.append((m.start(), m.end()))
            found.append(DateMatch(m.start(), m.end(), value, True, False))
    return found


def _resolve(kind: str, m: re.Match[str], today: date) -> date | None:
    if kind == "iso":
        return _safe_date(int(m[1]), int(m[2]), int(m[3]))
    if kind == "relative":
        offset = {"today": 0, "tonight": 0, "tomorrow": 1}.get(m[1].lower(), 2)
        return today + timedelta(days=offset)
    if kind == "weekday":
        return _next_weekday(today, m[2].lower(), m[1].lower() if m[1] else "")
    month, day, year = (m[1], m[2], m[3]) if kind == "month_day" else (m[2], m[1], m[3])
    return _month_day(today, MONTHS[month.lower().rstrip(".")], int(day), year)


def _next_weekday(today: date, name: str, qualifier: str) -> date:
    target = next(i for i, wd in enumerate(WEEKDAYS) if wd.startswith(name[:3]))
    ahead = (target - today.weekday()) % 7
    # "next Monday" said on a Monday means a week later; plain "Monday" today means today.
    if qualifier == "next" and ahead == 0:
        ahead = 7
    return today + timedelta(days=ahead)


def _month_day(today: date, month: int, day: int, year: str | None) -> date | None:
    if year:
        return _safe_date(int(year), month, day)
    candidate = _safe_date(today.year, month, day)
    # Without a year, a day that has passed this year means next year's ("Jan 5" said in Dec).
    if candidate is not None and candidate < today - timedelta(days=31):
        return _safe_date(today.year + 1, month, day)
    return candidate


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _find_times(text: str) -> list[DateMatch]:
    found = []
    for m in TIME_PATTERN.finditer(text):
        value = _time_of(m)
        if value is not None:
            found.append(DateMatch(m.start(), m.end(), value, False, True))
    return found


def _time_of(m: re.Match[str]) -> time | None:
    if m[1]:
        return time(0, 0) if m[1].lower() == "midnight" else time(12, 0)
    if m[2]:
        hour, minute = int(m[2]), int(m[3] or 0)
        if not 1 <= hour <= 12 or minute > 59:
            return None
        pm = m[4].lower().startswith("p")
        return time((hour % 12) + (12 if pm else 0), minute)
    if m[5]:
        return time(int(m[5]), int(m[6]))
    bare = _BARE_HOUR.get(int(m[7]))
    return time(bare, 0) if bare is not None else None
