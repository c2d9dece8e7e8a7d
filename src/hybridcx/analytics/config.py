"""Analytics configuration: the cost model and KPI definitions, per workspace, from YAML.

A workspace's file is ``<data dir>/policies/<slug>.analytics.yaml`` (beside its routing policy);
keys left out keep the defaults below. The cost defaults are the midpoints of the product's
planning figures: tier 1 $0.50-1.50, tier 2 $4-6, tier 3 $12-18, all-human baseline $8-12.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from hybridcx.kit.errors import InvalidInput


class CostModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    currency: str = "USD"
    tier_1: float = Field(default=1.00, ge=0, description="AI-contained contact.")
    tier_2: float = Field(default=5.00, ge=0, description="Contact handled by a generalist.")
    tier_3: float = Field(default=15.00, ge=0, description="Contact handled by a specialist.")
    all_human_baseline: float = Field(default=10.00, ge=0, description="Before hybridcx.")

    def per_tier(self, tier: int) -> float:
        return {1: self.tier_1, 2: self.tier_2}.get(tier, self.tier_3)


class AnalyticsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cost: CostModel = Field(default_factory=CostModel)
    # A customer starting another conversation within this many days means the first one
    # did not resolve their issue.
    fcr_days: float = Field(default=7, gt=0, le=90)
    # Queue service level: share of queued conversations a person picked up within this.
    service_level_seconds: float = Field(default=20, gt=0)
    # Intents about the conversation itself, never a conversation's topic.
    meta_intents: list[str] = Field(default_factory=lambda: ["human_agent", "greeting", "goodbye"])
    # CSAT counts ratings at or above this as satisfied (1-5 scale).
    csat_satisfied_min: int = Field(default=4, ge=1, le=5)
    # First-contact resolution: "same_issue" counts a re-contact only when it is about the same
    # intent (or either intent is unknown); "any" counts every re-contact.
    fcr_recontact: Literal["same_issue", "any"] = "same_issue"
    # Intents that are sales conversations (revenue per sales conversation); a conversation with
    # an attributed order counts as one too.
    sales_intents: list[str] = Field(
        default_factory=lambda: ["product_availability", "discount_codes", "gift_cards"]
    )
    # Value tiers by the customer's lifetime value when the conversation started: the first tier
    # whose minimum the value reaches (checked from the highest).
    value_tiers: dict[str, float] = Field(
        default_factory=lambda: {"high": 1000.0, "medium": 200.0, "low": 0.0}
    )

    def value_tier(self, value: float | None) -> str:
        if value is None:
            return "unknown"
        for name, minimum in sorted(self.value_tiers.items(), key=lambda kv: -kv[1]):
            if value >= minimum:
                return name
        return "unknown"


def load_analytics_config(path: Path | None) -> AnalyticsConfig:
    """The configuration in ``path``, or the defaults when there is no file."""
    if path is None or not path.exists():
        return AnalyticsConfig()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return AnalyticsConfig.model_validate(raw)
    except (yaml.YAMLError, ValueError) as exc:
        raise InvalidInput(f"Analytics configuration {path} is invalid: {exc}") from exc


def config_path(policy_dir: Path, workspace_slug: str) -> Path:
    return policy_dir / f"{workspace_slug}.analytics.yaml"
