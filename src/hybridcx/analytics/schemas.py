"""Response shapes of the analytics API (the KPI report and order attribution)."""

from __future__ import annotations

from pydantic import Field

from hybridcx.hours.schemas import SlaAttainmentRead
from hybridcx.kit.schemas import Number, ReadModel
from hybridcx.outreach.schemas import OutreachStatsRead
from hybridcx.scripting.schemas import AdherenceReport


class KpiQueryRead(ReadModel):
    from_: str = Field(alias="from")
    to: str
    channel: str | None
    tier: int | None
    intent: str | None
    agent_id: str | None
    team: str | None
    tag: str | None


class WindowAdherence(AdherenceReport):
    """Script adherence in a KPI window (``GET /api/v1/scripts/adherence``): it takes the
    window as the KPI report does, and the report imports the adherence models, so it is here."""

    query: KpiQueryRead


class VolumeRead(ReadModel):
    conversations: int
    by_channel: dict[str, int]
    by_intent: dict[str, int]
    open_with_people: int


class CsatRead(ReadModel):
    responses: int
    average: float | None
    satisfied_share: float | None
    distribution: dict[str, int]


class NpsRead(ReadModel):
    responses: int
    promoters: int
    passives: int
    detractors: int
    score: float | None


class FcrRead(ReadModel):
    window_days: Number
    recontact: str
    finished: int
    resolved_first_contact: int
    rate: float | None
    recontacts: int
    recontacts_on_another_channel: int


class HandleTimeRead(ReadModel):
    conversations: int
    seconds: float | None
    median_seconds: Number | None
    by_channel: dict[str, float | None]
    by_tier: dict[str, float | None]


class EffortRead(ReadModel):
    average_turns: float | None
    average_transfers: float | None
    transferred_share: float | None


class EscalationRead(ReadModel):
    escalated: int
    rate: float | None
    reasons: dict[str, int]


class CustomerExperienceRead(ReadModel):
    csat: CsatRead
    nps: NpsRead
    first_contact_resolution: FcrRead
    average_handle_time: HandleTimeRead
    customer_effort: EffortRead
    escalation: EscalationRead


class ContainmentRead(ReadModel):
    contained: int
    rate: float | None


class TierDistributionRead(ReadModel):
    counts: dict[str, int]
    shares: dict[str, float | None]


class CostRead(ReadModel):
    currency: str
    per_interaction_by_tier: dict[str, Number]
    total: Number
    blended_per_contact: Number | None
    all_human_baseline_per_contact: Number
    savings_vs_baseline: Number | None


class QueueServiceRead(ReadModel):
    target_seconds: Number
    queued: int
    answered: int
    unanswered: int
    answered_within_target: int
    service_level: float | None
    average_speed_of_answer_seconds: float | None
    longest_wait_seconds: Number | None


class AgentActivityRead(ReadModel):
    agent_id: str
    conversations: int
    resolved: int
    handled_seconds: Number
    busy_seconds: Number
    active_span_seconds: Number
    staffed_seconds: Number | None
    occupancy: Number | None
    utilization: Number | None
    occupancy_basis: str
    average_concurrency: Number | None


class KpiOperations(ReadModel):
    ai_containment: ContainmentRead
    tier_distribution: TierDistributionRead
    cost: CostRead
    queue: QueueServiceRead
    agents: list[AgentActivityRead]


class OperationsRead(KpiOperations):
    sla: SlaAttainmentRead
    script_adherence: AdherenceReport


class RevenueRead(ReadModel):
    currency: str
    sales_conversations: int
    with_orders: int
    conversion_rate: float | None
    orders: int
    revenue: Number
    revenue_per_sales_conversation: Number | None


class SegmentValueRead(ReadModel):
    conversations: int
    revenue: Number
    revenue_per_conversation: Number | None
    cost: Number
    ai_containment: float | None
    csat_average: float | None


class ValueBySegmentRead(ReadModel):
    by_segment: dict[str, SegmentValueRead]
    by_value_tier: dict[str, SegmentValueRead]


class PeriodRead(ReadModel):
    from_: str = Field(alias="from")
    to: str


class ScalabilityRead(ReadModel):
    volume: int
    previous_volume: int
    staffed_hours: Number
    previous_staffed_hours: Number
    volume_growth: Number | None
    staffed_hours_growth: Number | None
    ratio: Number | None
    contacts_per_staffed_hour: Number | None
    previous_period: PeriodRead


class KpiBusiness(ReadModel):
    revenue: RevenueRead
    value_by_segment: ValueBySegmentRead


class BusinessRead(KpiBusiness):
    scalability: ScalabilityRead
    outreach: OutreachStatsRead


class KpiCore(ReadModel):
    """The KPIs computed from the conversations' events alone (an experiment arm's report)."""

    query: KpiQueryRead
    volume: VolumeRead
    customer_experience: CustomerExperienceRead
    operations: KpiOperations
    business: KpiBusiness


class KpiReport(KpiCore):
    """``GET /api/v1/analytics/kpis``: every KPI for the conversations started in a window."""

    operations: OperationsRead
    business: BusinessRead
    source: str = Field(description="'rollup', or 'events' while the rollup is being built.")
    generated_at: str


class OrderRead(ReadModel):
    conversation_id: str
    order_id: str
    amount: float
    currency: str
