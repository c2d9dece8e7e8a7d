"""Typed data passed through the AI turn, the Step contract and the Pipeline runner."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Author = Literal["customer", "ai", "agent", "system"]
ConversationStatus = Literal["bot", "queued", "assigned", "resolved"]


@dataclass(frozen=True)
class CustomerProfile:
    id: str
    name: str
    email: str
    vip: bool = False
    lifetime_value: float = 0.0
    human_only: bool = False
    verified: bool = False


@dataclass(frozen=True)
class TranscriptLine:
    author: Author
    text: str


@dataclass(frozen=True)
class Reply:
    author: Author
    text: str


@dataclass(frozen=True)
class RoutingDecision:
    """What the policy decided on one turn, with the reasons and scores that explain it."""

    tier: int
    handoff: bool
    reasons: tuple[str, ...]
    scores: dict[str, float]
    intent: str | None = None
    confidence: float | None = None
    sentiment: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "handoff": self.handoff,
            "reasons": list(self.reasons),
            "scores": dict(self.scores),
            "intent": self.intent,
            "confidence": self.confidence,
            "sentiment": self.sentiment,
        }


@dataclass
class TurnContext:
    """One turn. ``text`` is None for the opening turn (the conversation was just created)."""

    text: str | None
    customer: CustomerProfile
    channel: str
    status: ConversationStatus
    tier: int
    transcript: Sequence[TranscriptLine] = ()
    # Filled in by steps:
    intent: str | None = None
    confidence: float | None = None
    sentiment: float | None = None
    reasons: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    decision: RoutingDecision | None = None
    replies: list[Reply] = field(default_factory=list)

    @property
    def is_opening(self) -> bool:
        return self.text is None

    @property
    def with_humans(self) -> bool:
        return self.status in ("queued", "assigned")

    def add_reason(self, reason: str) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)


class Step(Protocol):
    """A pipeline step: reads and enriches the context. Pure: no I/O, deps via the constructor."""

    name: str

    def __call__(self, ctx: TurnContext) -> None: ...


@dataclass(frozen=True)
class TurnResult:
    decision: RoutingDecision
    replies: tuple[Reply, ...]


class Pipeline:
    def __init__(self, steps: Sequence[Step]) -> None:
        self.steps = list(steps)

    def run(self, ctx: TurnContext) -> TurnResult:
        for step in self.steps:
            step(ctx)
        if ctx.decision is None:
            raise RuntimeError("the pipeline has no routing step: no RoutingDecision was made")
        return TurnResult(decision=ctx.decision, replies=tuple(ctx.replies))
