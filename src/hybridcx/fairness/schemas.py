"""Response shapes of the fairness audit API."""

from __future__ import annotations

from pydantic import Field

from hybridcx.analytics.schemas import KpiQueryRead
from hybridcx.kit.schemas import Number, ReadModel


class FairnessConfigRead(ReadModel):
    alpha: Number
    rate_difference: Number
    relative_time_difference: Number
    csat_difference: Number
    min_segment_size: int
    fcr_days: Number


class SegmentMetricRead(ReadModel):
    value: Number | None
    n: int


class SegmentRead(ReadModel):
    conversations: int
    metrics: dict[str, SegmentMetricRead] = Field(description="Per metric.")


class OmnibusRead(ReadModel):
    test: str
    p_value: Number | None


class FairnessTestRead(ReadModel):
    """A segment against the rest of the cohort on one metric."""

    segment: str
    metric: str
    kind: str = Field(description="rate, time or score")
    value: Number | None
    rest: Number | None
    difference: Number | None
    ratio: Number | None
    test: str
    p_value: Number
    q_value: Number = Field(description="After Benjamini-Hochberg.")
    exceeds_threshold: bool
    significant: bool
    flagged: bool


class FairnessFlagRead(FairnessTestRead):
    dimension: str


class DimensionReport(ReadModel):
    dimension: str
    conversations: int
    segments: dict[str, SegmentRead]
    omnibus: dict[str, OmnibusRead] = Field(description="Per rate metric: chi-square.")
    tests: list[FairnessTestRead]
    flags: list[FairnessTestRead]


class FairnessReport(ReadModel):
    query: KpiQueryRead
    config: FairnessConfigRead
    dimensions: list[DimensionReport]
    flags: list[FairnessFlagRead]
    generated_at: str
