"""Routing policy: the per-workspace numbers and phrases that turn signals into a decision.

Loaded from YAML (``policy.default.yaml`` in this package, overridden per workspace); pydantic
validates the file so a typo is a clear error at load time, not a surprise at routing time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hybridcx.pipeline.retention import RetentionPolicy

DEFAULT_POLICY_FILE = Path(__file__).with_name("policy.default.yaml")


class QueuePriority(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tier_weight: dict[int, float] = Field(default_factory=lambda: {1: 100.0, 2: 200.0, 3: 300.0})
    vip_bonus: float = 100.0
    per_waiting_minute: float = 2.0


class SentimentPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    negative_below: float | None = Field(
        default=None,
        ge=-1.0,
        le=1.0,
        description="Also escalate a message whose polarity (P(positive) - P(negative)) is at or "
        "below this; off by default: a plainly negative message (a late parcel) is not upset.",
    )
    frustration_above: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="Escalate when the upset signal (0-1) is at or above this; default: the "
        "sentiment model's own threshold, picked on dev data for precision 0.6.",
    )
    trend_drop: float = Field(
        default=0.8, ge=0.0, le=2.0, description="Worsening over recent messages."
    )
    trend_window: int = Field(default=3, ge=2)


class ComplexityPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    threshold: float = Field(default=0.6, ge=0.0, le=1.0)
    long_message_chars: int = Field(default=400, ge=50)
    repeat_contacts: int = Field(default=2, ge=1, description="Other conversations in 7 days.")
    second_intent_min: float = Field(default=0.2, ge=0.0, le=1.0)


class ClarifyPolicy(BaseModel):
    """When the top two intents are this close, the AI asks which one was meant instead of
    guessing (a wrong flow costs more than one question)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    # Ask when P(first) - P(second) is below this ...
    margin: float = Field(default=0.3, ge=0.0, le=1.0)
    # ... and the two together are at least this likely (the message is about one of them).
    min_combined: float = Field(default=0.6, ge=0.0, le=1.0)
    # How the question names each intent ("Track an order"); others are spelled from the name.
    labels: dict[str, str] = Field(default_factory=dict)


class EmailPolicy(BaseModel):
    """Email channel (hybridcx.channels.email): what the AI may send without an agent."""

    model_config = ConfigDict(extra="forbid")

    # Tier 1 emails the AI answered itself go out at once; false: they wait as drafts too.
    auto_send_tier1: bool = True
    # Intents whose AI draft may go out unapproved even when people have the conversation.
    auto_send_intents: list[str] = Field(default_factory=list)


class ComplianceRule(BaseModel):
    """A regulated topic: recognised by intent or by pattern; what the AI must say about it,
    and whether the AI may handle it at all."""

    model_config = ConfigDict(extra="forbid")

    intents: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list, description="Regular expressions.")
    # Appended to every AI answer on a turn where the rule applies (and checked by the rubric).
    disclosures: list[str] = Field(default_factory=list)
    # False: the AI never handles it alone; the conversation goes to ``tier`` with the reason.
    ai_allowed: bool = True
    tier: int = Field(default=3, ge=1, le=3)
    reason: str = ""


class ApprovalPolicy(BaseModel):
    """Consequential AI actions held for a person's approval above these limits."""

    model_config = ConfigDict(extra="forbid")

    refund_over: float | None = Field(
        default=50.0, ge=0, description="Refunds above this amount wait for approval; null: none."
    )
    account_changes: bool = Field(default=True, description="Every account change waits.")
    approver_roles: list[str] = Field(default_factory=lambda: ["supervisor", "admin"])


class CompliancePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: dict[str, ComplianceRule] = Field(default_factory=dict)
    # Flows whose actions change an account: they refuse to act until the customer is verified.
    verify_before_actions: list[str] = Field(default_factory=list)
    approvals: ApprovalPolicy = Field(default_factory=ApprovalPolicy)


# ---- learning from human resolutions ----
class LearningPolicy(BaseModel):
    """What the learning loop may use, and how intent discovery groups messages."""

    model_config = ConfigDict(extra="forbid")

    # A customer's conversations become training examples only with consents["training"]
    # truthy; false lets conversations without any recorded choice in (an explicit
    # consents["training"]: false always keeps a conversation out).
    require_training_consent: bool = True
    # Intent discovery: cosine distance under which messages join one cluster (average linkage).
    discovery_distance: float = Field(default=0.65, gt=0.0, lt=2.0)
    discovery_min_size: int = Field(default=3, ge=2)
    discovery_days: int = Field(default=30, ge=1)
    # A cluster this close (cosine) to an existing intent's examples is "more examples for it".
    existing_intent_similarity: float = Field(default=0.6, ge=0.0, le=1.0)


class RoutingPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    confidence_threshold: float = Field(default=0.70, ge=0.0, le=1.0)
    # Which tier each reason code sends a conversation to (the highest wins).
    reason_tiers: dict[str, int] = Field(default_factory=dict)
    # Exact one-line commands and phrases inside longer messages that mean "get me a person".
    customer_request_commands: list[str] = Field(default_factory=list)
    customer_request_phrases: list[str] = Field(default_factory=list)
    # Intents that ask for a person in any wording ("can someone from your team help me?").
    customer_request_intents: list[str] = Field(default_factory=list)
    # Skill a queued conversation needs, by tier (e.g. tier 3 -> senior agents).
    skill_by_tier: dict[int, str] = Field(default_factory=dict)
    queue: QueuePriority = Field(default_factory=QueuePriority)
    sentiment: SentimentPolicy = Field(default_factory=SentimentPolicy)
    complexity: ComplexityPolicy = Field(default_factory=ComplexityPolicy)
    clarify: ClarifyPolicy = Field(default_factory=ClarifyPolicy)
    # Lifetime value from which a complex contact goes to tier 3.
    high_value_lifetime: float = Field(default=10_000.0, ge=0)
    # Legal threats, regulator complaints, data-protection requests (regular expressions).
    legal_compliance_patterns: list[str] = Field(default_factory=list)
    # Intents the AI does not automate: the tier a person handles them at.
    human_intents: dict[str, int] = Field(default_factory=dict)
    # Failed AI turns in a conversation before a person takes over.
    max_ai_failures: int = Field(default=2, ge=1)
    # Canned answers for small talk intents.
    smalltalk: dict[str, str] = Field(default_factory=dict)
    # Email channel: auto-send rules for AI replies and drafts.
    email: EmailPolicy = Field(default_factory=EmailPolicy)
    # Privacy: how long transcripts and past cases are kept (see pipeline/retention.py).
    retention: RetentionPolicy = Field(default_factory=RetentionPolicy)
    # Regulated-industry rules: disclosures, human-only topics, verification, approvals.
    compliance: CompliancePolicy = Field(default_factory=CompliancePolicy)
    # training consent and intent discovery
    learning: LearningPolicy = Field(default_factory=LearningPolicy)
    # flows changed for this policy, {flow name: fields to replace} (an experiment arm
    # tries a flow variant this way); checked against the packaged flows.
    flow_variants: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # tags the AI puts on a conversation once its topic (intent) is known,
    # {intent: [tag, ...]}; applied once per conversation (hybridcx.tags.service).
    intent_tags: dict[str, list[str]] = Field(default_factory=dict)
    # What the workspace's intents mean for its team (the packaged defaults carry the demo
    # company's; a workspace maps its own intents in its file, ``intent: null`` drops one).
    # The team skill whose agents get an intent's conversations first (skills-based routing,
    # and the team level of predictive routing); an intent not listed: no preference.
    intent_skills: dict[str, str] = Field(default_factory=dict)
    # The category of a conversation about an intent (summaries, past cases, the LLM's choice
    # of category); an intent not listed: ``General``.
    intent_categories: dict[str, str] = Field(default_factory=dict)
    # The one-click actions agent assist offers for an intent (hybridcx.flows.actions
    # AGENT_ACTIONS); an intent not listed: none.
    next_best_actions: dict[str, list[str]] = Field(default_factory=dict)
    # the customer segment's profile applied to this turn ({name, tone, language});
    # set by segments.profiles through experiments.variants.turn_policy, never in a file.
    segment: dict[str, Any] | None = None

    @field_validator("flow_variants")
    @classmethod
    def _valid_flow_variants(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        if value:
            from hybridcx.flows.spec import FlowSpecError, default_flows, with_variants

            try:
                with_variants(default_flows(), value)
            except FlowSpecError as exc:
                raise ValueError(str(exc)) from exc
        return value

    @field_validator("intent_skills", "intent_categories")
    @classmethod
    def _named(cls, value: dict[str, str]) -> dict[str, str]:
        out = {}
        for intent, name in value.items():
            name = " ".join(str(name).split())
            if not name:
                raise ValueError(f"intent {intent!r}: an empty name")
            out[intent] = name
        return out

    @field_validator("next_best_actions")
    @classmethod
    def _known_actions(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        from hybridcx.flows.actions import AGENT_ACTIONS

        for intent, actions in value.items():
            unknown = sorted(set(actions) - set(AGENT_ACTIONS))
            if unknown:
                raise ValueError(
                    f"next_best_actions.{intent}: unknown action(s) {unknown}; "
                    f"one of {sorted(AGENT_ACTIONS)}"
                )
        return value

    def tier_for(self, reason: str, default: int = 2) -> int:
        return self.reason_tiers.get(reason, default)


class PolicyError(ValueError):
    pass


def parse_policy(
    text: str, *, base: dict[str, Any] | None = None, source: str = "policy"
) -> RoutingPolicy:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise PolicyError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: expected a mapping at the top level")
    merged = _deep_merge(base or {}, data)
    try:
        return RoutingPolicy.model_validate(merged)
    except ValidationError as exc:
        raise PolicyError(f"{source}: {exc}") from exc


def default_policy_data() -> dict[str, Any]:
    data = yaml.safe_load(DEFAULT_POLICY_FILE.read_text())
    assert isinstance(data, dict)
    return data


def load_policy(path: Path | None = None) -> RoutingPolicy:
    """The packaged defaults, with the workspace file (if any) merged on top."""
    base = default_policy_data()
    if path is None or not path.exists():
        return RoutingPolicy.model_validate(base)
    return parse_policy(path.read_text(), base=base, source=str(path))


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Override wins key by key, mappings merge; ``key: null`` removes the default entry (for
    example an intent from ``human_intents``, so the AI handles it)."""
    out = dict(base)
    for key, value in override.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out
