"""Understanding: intent with calibrated confidence, out-of-scope, and entities."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from hybridcx.pipeline.base import TurnContext


@dataclass(frozen=True)
class RequestPart:
    """One clause of a message that may hold several requests, classified on its own."""

    text: str
    intent: str | None  # None when out of scope
    confidence: float


@dataclass(frozen=True)
class Understanding:
    intent: str | None
    confidence: float
    out_of_scope: bool
    ranking: list[tuple[str, float]] = field(default_factory=list)
    entities: Mapping[str, list[Any]] = field(default_factory=dict)
    # Distinct confident intents of the message's parts ("where is my order, and also ...").
    part_intents: list[str] = field(default_factory=list)
    # Every part with its own reading (empty for a one-part message).
    parts: list[RequestPart] = field(default_factory=list)


class Understander(Protocol):
    """Turns one message into an Understanding (the NLU engine, or a fake in tests)."""

    def understand(self, text: str, *, now: datetime | None = None) -> Understanding: ...


class UnderstandStep:
    name = "understand"

    def __init__(self, understander: Understander) -> None:
        self.understander = understander

    def __call__(self, ctx: TurnContext) -> None:
        if ctx.text is None:
            return
        u = self.understander.understand(ctx.text, now=ctx.now)
        ctx.intent = None if u.out_of_scope else u.intent
        ctx.confidence = round(float(u.confidence), 4)
        ctx.out_of_scope = u.out_of_scope
        ctx.ranking = list(u.ranking)
        ctx.entities = dict(u.entities)
        ctx.part_intents = list(u.part_intents)
        ctx.parts = list(u.parts)
        ctx.scores["intent_confidence"] = ctx.confidence
