"""A customer's contact preferences, stored in ``customers.preferences``: the channel they want
to be reached on, their language and the hours they may be contacted.

Stored as ``{"channel": ..., "language": ..., "contact_hours": {...}, "updated_at": ...,
"updated_by": ...}``; every key is optional (nothing recorded: no preference)."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

#: The channels a customer can be reached on (the contact channels of hours/endpoints.py).
CONTACT_CHANNELS = ("webchat", "email", "sms", "voice")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: The keys a merge fills from the absorbed customer when the survivor has none.
KEYS = ("channel", "language", "contact_hours")

# A short BCP-47 tag: language, optional script, optional region ("en", "pt-BR", "zh-Hant-TW").
_BCP47 = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$")
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class ContactHours(BaseModel):
    """When the customer may be contacted: these days, from ``start`` to ``end`` (local time
    in ``timezone``; an ``end`` before ``start`` runs past midnight)."""

    model_config = ConfigDict(extra="forbid")

    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        min_length=1, max_length=7, description='Days of the week, e.g. ["mon", "tue"].'
    )
    start: str = Field(description="HH:MM, 24-hour clock.", examples=["09:00"])
    end: str = Field(description="HH:MM, 24-hour clock.", examples=["18:00"])
    timezone: str = Field(max_length=64, description="An IANA time zone, e.g. Europe/Paris.")

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise ValueError("must be a time as HH:MM (00:00 to 23:59)")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as Europe/Paris"
            ) from None
        return value

    @field_validator("days")
    @classmethod
    def _unique_days(cls, value: list[str]) -> list[str]:
        return sorted(set(value), key=DAYS.index)

    @model_validator(mode="after")
    def _span(self) -> ContactHours:
        if self.start == self.end:
            raise ValueError("start and end must differ (for any time, leave contact_hours out)")
        return self

    def allows(self, now: datetime) -> bool:
        """Whether ``now`` (naive UTC) falls within the hours, in the customer's zone."""
        local = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(self.timezone))
        start, end = time.fromisoformat(self.start), time.fromisoformat(self.end)
        t, day = local.time(), DAYS[local.weekday()]
        if start < end:
            return day in self.days and start <= t < end
        # Past midnight: the early part belongs to the day the span started.
        if t >= start:
            return day in self.days
        return t < end and DAYS[(local.weekday() - 1) % 7] in self.days


class Preferences(BaseModel):
    """What staff record for a customer (``PUT /api/v1/customers/{id}/preferences``): the
    whole set; a key left out or null clears it."""

    model_config = ConfigDict(extra="forbid")

    channel: Literal["webchat", "email", "sms", "voice"] | None = Field(
        default=None, description=f"Preferred channel: one of {', '.join(CONTACT_CHANNELS)}."
    )
    language: str | None = Field(
        default=None, max_length=20, description='A short BCP-47 tag, e.g. "en", "pt-BR".'
    )
    contact_hours: ContactHours | None = None

    @field_validator("language")
    @classmethod
    def _bcp47(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = value.replace("_", "-").split("-")
        canon = "-".join(
            [parts[0].lower()] + [p.title() if len(p) == 4 else p.upper() for p in parts[1:]]
        )
        if not _BCP47.match(canon):
            raise ValueError(
                f"{value!r} is not a short BCP-47 language tag (e.g. en, fr-CA, zh-Hant-TW)"
            )
        return canon


def read_preferences(stored: dict[str, Any] | None) -> Preferences:
    """The stored preferences; anything no longer valid reads as not recorded."""
    data = {k: v for k, v in (stored or {}).items() if k in KEYS}
    try:
        return Preferences.model_validate(data)
    except ValidationError:
        out = Preferences()
        for key, value in data.items():
            try:
                out = out.model_copy(
                    update={key: getattr(Preferences.model_validate({key: value}), key)}
                )
            except ValidationError:
                continue
        return out


def preferences_read(stored: dict[str, Any] | None) -> dict[str, Any]:
    prefs = read_preferences(stored)
    return {
        **prefs.model_dump(mode="json"),
        "updated_at": (stored or {}).get("updated_at"),
        "updated_by": (stored or {}).get("updated_by"),
    }


def stored_preferences(prefs: Preferences, *, at: str | None, by: str | None) -> dict[str, Any]:
    data = {k: v for k, v in prefs.model_dump(mode="json").items() if v is not None}
    return {**data, "updated_at": at, "updated_by": by}


def fill_gaps(
    survivor: dict[str, Any] | None, absorbed: dict[str, Any] | None
) -> tuple[dict[str, Any], list[str]]:
    """The survivor's preferences with the absorbed customer's filling the keys it lacks, and
    the keys filled (a merge records them so an unmerge can take them back)."""
    ours, theirs = dict(survivor or {}), absorbed or {}
    filled = [k for k in KEYS if ours.get(k) is None and theirs.get(k) is not None]
    for key in filled:
        ours[key] = theirs[key]
    return ours, filled
