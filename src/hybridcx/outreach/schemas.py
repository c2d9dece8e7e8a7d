"""Response shapes of the outreach API."""

from __future__ import annotations

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
