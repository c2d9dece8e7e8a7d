"""Response shapes of the experiments API."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from hybridcx.analytics.schemas import KpiCore
from hybridcx.kit.schemas import Number, ReadModel, SnapshotModel


class ArmRead(SnapshotModel):
    name: str
    share: Number
    # Routing-policy overrides, assignment_strategy and/or script: open by design.
    overrides: dict[str, Any]


class RolloutRead(SnapshotModel):
    steps: list[Number]
    min_samples_per_step: int
    min_minutes_per_step: Number
    step: int
    step_started_at: str
    # Set from the first step up; absent before.
    treatment_at_step_start: int | None = None


class ComparisonRead(SnapshotModel):
    """Treatment minus control for one metric."""

    metric: str
    control: Number | None
    treatment: Number | None
    difference: Number | None
    ci_low: Number | None
    ci_high: Number | None
    p_value: Number | None
    sequential_p_value: Number | None
    test: str
    n_control: int
    n_treatment: int


class GuardrailCheckRead(SnapshotModel):
    arm: str
    metric: str
    direction: str
    bound: Number
    difference: Number | None
    breached: bool
    p_value: Number | None
    n_control: int
    n_treatment: int
    status: str = Field(description="collecting, ok or breached")


class ArmEvaluationRead(SnapshotModel):
    conversations: int
    metrics: dict[str, Number | None]


class EvaluationRead(SnapshotModel):
    evaluated_at: str
    control: str
    arms: dict[str, ArmEvaluationRead]
    comparisons: dict[str, dict[str, ComparisonRead]] = Field(
        description="Per treatment arm, per metric."
    )
    guardrails: list[GuardrailCheckRead]
    breached: list[GuardrailCheckRead]


class ExperimentRead(ReadModel):
    id: str
    name: str
    description: str
    kind: str = Field(description="ab or rollout")
    status: str
    arms: list[ArmRead]
    treatment_share: Number | None
    rollout: RolloutRead | None
    # Each rule is {metric, max_increase} or {metric, max_decrease}.
    guardrails: list[dict[str, Any]]
    primary_metric: str
    alpha: Number
    min_samples: int
    created_at: str
    started_at: str | None
    ended_at: str | None
    stop_reason: str | None
    evaluation: EvaluationRead | None
    evaluated_at: str | None


class ExperimentList(ReadModel):
    items: list[ExperimentRead]


class ArmKpis(KpiCore):
    """Every KPI (as ``/api/v1/analytics/kpis``) for the conversations of one arm."""

    experiment_id: str
    arm: str
