"""Response shapes of the outreach API."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from hybridcx.kit.schemas import Number, ReadModel


class OutreachChannelStats(ReadModel):
    campaign_id: str
    channel: str
    sent: int
    failed: int
    replied: int
    response_rate: float | None


class PreventionRead(ReadModel):
    """Notified vs held-out customers of a campaign with a control group."""

    campaign_id: str
    notified: int
    control: int
    notified_contact_rate: Number | None
    control_contact_rate: Number | None
    contacts_avoided: Number | None


class OutreachStatsRead(ReadModel):
    items: list[OutreachChannelStats]
    sent: int
    replied: int
    response_rate: float | None
    prevention: list[PreventionRead]
    contacts_avoided: Number


class SignalRead(ReadModel):
    name: str
    description: str


class SignalList(ReadModel):
    items: list[SignalRead]


class CampaignRead(ReadModel):
    id: str
    name: str
    signal: str
    # Who the campaign reaches: {"vip": true} and/or {"attributes": {...}}, as written.
    segment: dict[str, Any]
    channels: list[str]
    templates: dict[str, str]
    status: str
    approval_threshold: int
    holdout: Number
    pending_size: int
    approved_size: int
    approved_by: str | None
    created_by: str | None
    created_at: str


class CampaignList(ReadModel):
    items: list[CampaignRead]


class CampaignRun(ReadModel):
    """One campaign's run. The audience counts are absent when the campaign is paused."""

    campaign_id: str
    name: str
    found: int | None = None
    recipients: int | None = None
    held_out: int | None = None
    skipped: dict[str, int] | None = Field(default=None, description="reason -> count")
    status: str = Field(description="paused, dry_run, awaiting_approval or done")
    sent: int
    failed: int


class CampaignRunList(ReadModel):
    items: list[CampaignRun]
