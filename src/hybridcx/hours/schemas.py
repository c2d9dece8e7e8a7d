"""Response shapes of the business-hours and SLA API."""

from __future__ import annotations

from hybridcx.kit.schemas import ReadModel


class SlaBucketRead(ReadModel):
    responses: int
    met: int
    breaches: int
    attainment: float | None


class SlaAttainmentRead(ReadModel):
    """Attainment (met / timed responses) overall and by tier, channel and team."""

    overall: SlaBucketRead
    by_tier: dict[str, SlaBucketRead]
    by_channel: dict[str, SlaBucketRead]
    by_team: dict[str, SlaBucketRead]
