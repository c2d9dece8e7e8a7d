"""What an experiment may change and how it is described (validated at the API edge)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hybridcx.experiments.metrics import METRICS
from hybridcx.pipeline.policy import PolicyError, RoutingPolicy, _deep_merge, default_policy_data

# Overrides outside the routing policy; everything else must be a routing policy key.
STRATEGY_KEY = "assignment_strategy"
# the agent script an arm uses (by name) for the conversations it gets.
SCRIPT_KEY = "script"
DEFAULT_STEPS = (0.01, 0.10, 0.50, 1.00)
NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"


def check_overrides(overrides: dict[str, Any]) -> dict[str, Any]:
    """Policy keys merged onto the defaults must still make a valid policy; the strategy must
    be a registered one."""
    from hybridcx.queue.strategy import STRATEGIES

    policy_part = {k: v for k, v in overrides.items() if k not in (STRATEGY_KEY, SCRIPT_KEY)}
    script = overrides.get(SCRIPT_KEY)
    if SCRIPT_KEY in overrides and not (isinstance(script, str) and 0 < len(script) <= 80):
        raise ValueError("script must be the name of an agent script")
    if STRATEGY_KEY in overrides and overrides[STRATEGY_KEY] not in STRATEGIES:
        raise ValueError(
            f"assignment_strategy must be one of {sorted(STRATEGIES)}, "
            f"not {overrides[STRATEGY_KEY]!r}"
        )
    try:
        RoutingPolicy.model_validate(_deep_merge(default_policy_data(), policy_part))
    except (ValueError, PolicyError) as exc:
        raise ValueError(f"overrides do not make a valid routing policy: {exc}") from exc
    return overrides


class Arm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=40, pattern=NAME_PATTERN)
    share: float = Field(ge=0.0, le=1.0)
    overrides: dict[str, Any] = Field(
        default_factory=dict,
        description="Routing policy keys (e.g. confidence_threshold, human_intents, smalltalk "
        "answers) and/or assignment_strategy, applied to this arm's conversations; `script`: "
        "the agent script (by name) the desk uses for them.",
    )

    @field_validator("overrides")
    @classmethod
    def valid_overrides(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_overrides(value)


class Guardrail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metric: str
    max_increase: float | None = Field(default=None, ge=0)
    max_decrease: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def one_bound(self) -> Guardrail:
        if self.metric not in METRICS:
            raise ValueError(f"metric must be one of {sorted(METRICS)}")
        if (self.max_increase is None) == (self.max_decrease is None):
            raise ValueError("give exactly one of max_increase or max_decrease")
        return self

    def to_rule(self) -> dict[str, Any]:
        bound = "max_increase" if self.max_increase is not None else "max_decrease"
        return {"metric": self.metric, bound: getattr(self, bound)}


class RolloutPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    steps: list[float] = Field(default_factory=lambda: list(DEFAULT_STEPS), min_length=1)
    min_samples_per_step: int = Field(default=50, ge=1, description="Treatment conversations.")
    min_minutes_per_step: float = Field(default=60.0, ge=0)

    @field_validator("steps")
    @classmethod
    def increasing(cls, steps: list[float]) -> list[float]:
        if any(not 0 < s <= 1 for s in steps) or steps != sorted(set(steps)):
            raise ValueError("steps must be increasing shares in (0, 1], e.g. [0.01, 0.1, 0.5, 1]")
        return steps


class ExperimentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=NAME_PATTERN)
    description: str = Field(default="", max_length=2000)
    kind: Literal["ab", "rollout"] = "ab"
    arms: list[Arm] | None = Field(
        default=None, max_length=10, description="A/B: the arms, control first; shares sum to 1."
    )
    treatment: dict[str, Any] | None = Field(
        default=None, description="Rollout: the overrides being rolled out."
    )
    rollout: RolloutPlan | None = None
    guardrails: list[Guardrail] = Field(default_factory=list, max_length=10)
    primary_metric: str = "resolution"
    alpha: float = Field(default=0.05, gt=0, lt=0.5)
    min_samples: int = Field(default=30, ge=2, le=1_000_000)

    @model_validator(mode="after")
    def consistent(self) -> ExperimentCreate:
        if self.primary_metric not in METRICS:
            raise ValueError(f"primary_metric must be one of {sorted(METRICS)}")
        if self.kind == "ab":
            if not self.arms or len(self.arms) < 2:
                raise ValueError("an A/B experiment needs at least two arms (control first)")
            if len({a.name for a in self.arms}) != len(self.arms):
                raise ValueError("arm names must be unique")
            if abs(sum(a.share for a in self.arms) - 1.0) > 1e-6:
                raise ValueError("arm shares must sum to 1")
            if self.treatment is not None or self.rollout is not None:
                raise ValueError("treatment and rollout are for kind=rollout")
        else:
            if self.arms is not None:
                raise ValueError("a rollout has no arms: give treatment (the overrides)")
            if not self.treatment:
                raise ValueError("a rollout needs treatment: the overrides to roll out")
            check_overrides(self.treatment)
            self.rollout = self.rollout or RolloutPlan()
        return self

    def arm_list(self) -> list[dict[str, Any]]:
        if self.kind == "ab":
            return [a.model_dump() for a in self.arms or []]
        first = (self.rollout or RolloutPlan()).steps[0]
        # Treatment first: a smaller share's customers stay inside every larger one.
        return [
            {"name": "treatment", "share": first, "overrides": self.treatment},
            {"name": "control", "share": 1.0 - first, "overrides": {}},
        ]
