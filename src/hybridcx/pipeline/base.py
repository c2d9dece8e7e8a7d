"""Typed data passed through the AI turn, the Step contract and the Pipeline runner."""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from hybridcx.kit.metrics import AI_STEP_LATENCY, AI_TURN_LATENCY

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
    phone: str | None = None  # E.164; channels (SMS, voice) may know a customer only by phone


@dataclass(frozen=True)
class TranscriptLine:
    author: Author
    text: str


@dataclass(frozen=True)
class Reply:
    author: Author
    text: str
    buttons: tuple[str, ...] = ()


@dataclass(frozen=True)
class ArticleRef:
    slug: str
    title: str
    body: str
    id: str | None = None  # the article's id, recorded with answers (quality: accuracy)
    version: int | None = None


@dataclass(frozen=True)
class KnowledgeAnswer:
    text: str
    sources: tuple[tuple[str, str], ...]  # (title, link)
    confidence: float
    # The articles the answer came from, as (article id, version): quality checks the answer
    # against them later (accuracy against the knowledge used).
    articles: tuple[tuple[str, int | None], ...] = ()


class KnowledgeSource(Protocol):
    """Public knowledge of the workspace (Tier 1 answers FAQs from it)."""

    async def article(self, slug: str) -> ArticleRef | None: ...

    async def answer(self, query: str) -> KnowledgeAnswer | None:
        """A cited answer from retrieved passages, or None when none is good enough."""
        ...


@dataclass
class TurnServices:
    """Per-turn access to the company's systems and knowledge (the only I/O steps may do)."""

    backend: Any = None  # hybridcx.flows.backend.CompanyBackend
    knowledge: KnowledgeSource | None = None
    # What must never reach the customer (internal notes, internal articles, other customers'
    # identifiers): a hybridcx.pipeline.safety.output.ProtectedData, or an async callable that loads it
    # (the service passes one: a turn without an AI reply never loads it).
    protected: Any = None


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
    thresholds: dict[str, float] = field(default_factory=dict)
    emotion: str | None = None  # the emotion the customer shows, when sentiment escalated

    def to_dict(self) -> dict[str, Any]:
        return {
            "thresholds": dict(self.thresholds),
            "tier": self.tier,
            "handoff": self.handoff,
            "reasons": list(self.reasons),
            "scores": dict(self.scores),
            "intent": self.intent,
            "confidence": self.confidence,
            "sentiment": self.sentiment,
            "emotion": self.emotion,
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
    # The AI's memory of this conversation (active flow, failures); steps may change it.
    ai_state: dict[str, Any] = field(default_factory=dict)
    services: TurnServices = field(default_factory=TurnServices)
    now: datetime | None = None
    prior_contacts: int = 0  # the customer's other conversations in the last 7 days
    # Filled in by steps:
    intent: str | None = None
    confidence: float | None = None
    out_of_scope: bool = False
    ranking: list[tuple[str, float]] = field(default_factory=list)
    entities: Mapping[str, list[Any]] = field(default_factory=dict)
    part_intents: list[str] = field(default_factory=list)
    parts: list[Any] = field(default_factory=list)  # steps.understand.RequestPart, one a clause
    sentiment: float | None = None  # polarity, -1 .. 1
    upset: float | None = None  # 0 .. 1, the sentiment model's escalation signal
    emotions: dict[str, float] = field(default_factory=dict)
    emotion: str | None = None
    handled: bool = False  # a flow or an answer took care of this message
    # Requests the AI finished this turn (a flow completed, an answer given), by intent; a flow's
    # is the flow's name, which the default flows share with their intent.
    served_intents: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    decision: RoutingDecision | None = None
    replies: list[Reply] = field(default_factory=list)
    # Knowledge this turn's answer used: [{"id": article id, "version": n}] (recorded on the
    # turn's routing.decided event).
    knowledge_used: list[dict[str, Any]] = field(default_factory=list)
    # Compliance and safety (hybridcx.compliance, hybridcx.safety):
    compliance_rules: list[str] = field(default_factory=list)  # rules that applied this turn
    safety_flags: list[str] = field(default_factory=list)  # why this input looked adversarial
    # Consequential actions a flow asked for this turn (held for approval or already done).
    action_requests: list[dict[str, Any]] = field(default_factory=list)
    # What the output filter blocked this turn (reason per blocked reply).
    blocked_outputs: list[str] = field(default_factory=list)

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
    """A pipeline step: reads and enriches the context. Pure: deps via the constructor; the only
    I/O is through ``ctx.services`` (company backend, knowledge), so a step may be async."""

    name: str

    def __call__(self, ctx: TurnContext) -> None | Awaitable[None]: ...


@dataclass(frozen=True)
class TurnResult:
    decision: RoutingDecision
    replies: tuple[Reply, ...]


class Pipeline:
    def __init__(self, steps: Sequence[Step]) -> None:
        self.steps = list(steps)

    def run(self, ctx: TurnContext) -> TurnResult:
        """Run a pipeline of synchronous steps."""
        for step in self.steps:
            if inspect.isawaitable(step(ctx)):
                raise TypeError(f"step {step.name!r} is async: use `await pipeline.arun(ctx)`")
        return self._result(ctx)

    async def arun(self, ctx: TurnContext) -> TurnResult:
        # Timed here, once for every step, rather than inside the steps (they stay pure).
        turn_started = time.perf_counter()
        for step in self.steps:
            started = time.perf_counter()
            outcome = step(ctx)
            if inspect.isawaitable(outcome):
                await outcome
            AI_STEP_LATENCY.labels(step.name).observe(time.perf_counter() - started)
        AI_TURN_LATENCY.observe(time.perf_counter() - turn_started)
        return self._result(ctx)

    @staticmethod
    def _result(ctx: TurnContext) -> TurnResult:
        if ctx.decision is None:
            raise RuntimeError("the pipeline has no routing step: no RoutingDecision was made")
        return TurnResult(decision=ctx.decision, replies=tuple(ctx.replies))
