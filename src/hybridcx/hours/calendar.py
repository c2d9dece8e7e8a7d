"""Business-hours calendar maths, pure: no database, no wall clock.

A ``Calendar`` is a time zone, weekly opening hours and dated exceptions (a holiday closed all
day, or a day with special hours). Every question takes the instant it is about: is it open at
``t``, when does it next open after ``t``, how many business seconds lie between ``t1`` and
``t2``. Instants are UTC; naive datetimes are read as UTC (as the database stores them) and
answers come back naive UTC. Local opening times are turned into instants day by day through
the time zone, so a daylight-saving change moves them with the local clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_MINUTES = 24 * 60
# How far ahead next_opening looks: a calendar closed for longer is treated as never opening.
HORIZON_DAYS = 400
_HHMM = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")

Span = tuple[int, int]  # minutes after local midnight: [open, close), close <= 1440


class CalendarError(ValueError):
    """A calendar that cannot be used: the message says what to fix."""


def parse_hhmm(value: str) -> int:
    m = _HHMM.match(value.strip()) if isinstance(value, str) else None
    if not m:
        raise CalendarError(f"{value!r} is not a time of day as HH:MM (00:00 to 24:00).")
    minutes = int(m.group(1)) * 60 + int(m.group(2))
    if minutes > DAY_MINUTES:
        raise CalendarError(f"{value!r} is after 24:00.")
    return minutes


def format_hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _spans(items: Sequence[Mapping[str, Any]], where: str) -> tuple[Span, ...]:
    spans: list[Span] = []
    for item in items:
        try:
            start, end = parse_hhmm(item["open"]), parse_hhmm(item["close"])
        except KeyError:
            raise CalendarError(f"{where}: each span needs 'open' and 'close'.") from None
        if end <= start:
            raise CalendarError(
                f"{where}: closes at {item['close']} before it opens at {item['open']} "
                "(a span past midnight is two spans, one on each day)."
            )
        spans.append((start, end))
    spans.sort()
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        if start < end:
            raise CalendarError(f"{where}: the spans overlap.")
    return tuple(spans)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(
            f"Unknown time zone {name!r}: use an IANA name such as 'Europe/Berlin'."
        ) from None


@dataclass(frozen=True)
class Calendar:
    """Opening hours in one time zone. No weekly hours and no exceptions: always open."""

    timezone: str = "UTC"
    weekly: Mapping[int, tuple[Span, ...]] = field(default_factory=dict)  # 0 = Monday
    exceptions: Mapping[date, tuple[Span, ...]] = field(default_factory=dict)  # () = closed

    @classmethod
    def from_config(
        cls,
        timezone: str,
        weekly: Mapping[str, Sequence[Mapping[str, Any]]],
        exceptions: Sequence[Mapping[str, Any]] = (),
    ) -> Calendar:
        """Validate the API's shape: ``weekly = {"mon": [{"open": "09:00", "close": "17:00"}]}``
        and ``exceptions = [{"date": "2026-12-25", "name": "…", "hours": []}]``."""
        zone(timezone)
        week: dict[int, tuple[Span, ...]] = {}
        for key, items in weekly.items():
            if key not in DAYS:
                raise CalendarError(f"Unknown day {key!r}: use {', '.join(DAYS)}.")
            week[DAYS.index(key)] = _spans(items, key)
        days: dict[date, tuple[Span, ...]] = {}
        for item in exceptions:
            try:
                day = date.fromisoformat(str(item["date"]))
            except (KeyError, ValueError):
                raise CalendarError("Each exception needs a 'date' as YYYY-MM-DD.") from None
            if day in days:
                raise CalendarError(f"{day} is listed twice in the exceptions.")
            days[day] = _spans(item.get("hours") or [], str(day))
        return cls(timezone=timezone, weekly=week, exceptions=days)

    @property
    def always_open(self) -> bool:
        return not self.weekly and not self.exceptions

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.timezone)

    def spans_on(self, day: date) -> tuple[Span, ...]:
        if day in self.exceptions:
            return self.exceptions[day]
        return self.weekly.get(day.weekday(), ())

    def intervals_on(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        """The local day's opening spans as aware UTC instants."""
        tz = self.tz
        midnight = datetime(day.year, day.month, day.day)
        for start, end in self.spans_on(day):
            yield (
                (midnight + timedelta(minutes=start)).replace(tzinfo=tz).astimezone(UTC),
                (midnight + timedelta(minutes=end)).replace(tzinfo=tz).astimezone(UTC),
            )

    def _local_day(self, t: datetime) -> date:
        return _aware(t).astimezone(self.tz).date()

    def is_open(self, t: datetime) -> bool:
        if self.always_open:
            return True
        at = _aware(t)
        today = self._local_day(t)
        for day in (today - timedelta(days=1), today):
            for start, end in self.intervals_on(day):
                if start <= at < end:
                    return True
        return False

    def next_opening(self, t: datetime) -> datetime | None:
        """``t`` itself when open; else the start of the next opening span (naive UTC), or None
        when nothing opens within ``HORIZON_DAYS``."""
        if self.is_open(t):
            return _naive(_aware(t))
        at = _aware(t)
        first = self._local_day(t)
        for offset in range(HORIZON_DAYS):
            for start, _end in self.intervals_on(first + timedelta(days=offset)):
                if start > at:
                    return _naive(start)
        return None

    def next_closing(self, t: datetime) -> datetime | None:
        """When the span open at ``t`` ends (naive UTC); None when closed or always open."""
        if self.always_open:
            return None
        at = _aware(t)
        today = self._local_day(t)
        for day in (today - timedelta(days=1), today):
            for start, end in self.intervals_on(day):
                if start <= at < end:
                    return _naive(end)
        return None

    def business_seconds(self, t1: datetime, t2: datetime) -> float:
        """Open time between two instants (0 when ``t2 <= t1``)."""
        a, b = _aware(t1), _aware(t2)
        if b <= a:
            return 0.0
        if self.always_open:
            return (b - a).total_seconds()
        total = 0.0
        day = self._local_day(t1) - timedelta(days=1)
        last = self._local_day(t2)
        while day <= last:
            for start, end in self.intervals_on(day):
                lo, hi = max(start, a), min(end, b)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return total

    def add_business_seconds(self, t: datetime, seconds: float) -> datetime | None:
        """The instant at which ``seconds`` of open time have passed since ``t`` (naive UTC):
        an SLA deadline. None when the calendar never opens again."""
        at = _aware(t)
        if self.always_open:
            return _naive(at + timedelta(seconds=seconds))
        left = seconds
        first = self._local_day(t) - timedelta(days=1)
        for offset in range(HORIZON_DAYS):
            for start, end in self.intervals_on(first + timedelta(days=offset)):
                lo = max(start, at)
                if end <= lo:
                    continue
                span = (end - lo).total_seconds()
                if span >= left:
                    return _naive(lo + timedelta(seconds=left))
                left -= span
        return None

    def to_config(self) -> dict[str, Any]:
        return {
            "timezone": self.timezone,
            "weekly": {
                DAYS[d]: [{"open": format_hhmm(s), "close": format_hhmm(e)} for s, e in spans]
                for d, spans in sorted(self.weekly.items())
            },
        }


def _aware(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _naive(t: datetime) -> datetime:
    return t.astimezone(UTC).replace(tzinfo=None)


def describe(t: datetime, timezone: str) -> str:
    """An opening time as a customer reads it, in the calendar's zone:
    "Wednesday 9 December at 09:00 (Europe/Berlin)"."""
    local = _aware(t).astimezone(zone(timezone))
    return f"{local:%A} {local.day} {local:%B} at {local:%H:%M} ({timezone})"
