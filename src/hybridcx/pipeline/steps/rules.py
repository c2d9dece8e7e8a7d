"""The model-free routing rules: human-only opt-out, "speak to a person", and VIP."""

from __future__ import annotations

import re
from collections.abc import Iterable

from hybridcx.pipeline.base import TurnContext

_NON_WORD = re.compile(r"[^a-z0-9']+")
_WORD = re.compile(r"[^\W\d_]{2,}")


def normalize(text: str) -> str:
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


class HumanOnlyRule:
    """A customer who opted out of AI gets a person from the start."""

    name = "human_only"

    def __call__(self, ctx: TurnContext) -> None:
        if ctx.customer.human_only:
            ctx.add_reason("human_only")


class CustomerRequestRule:
    """One command ("agent", "speak to a person", ...) escalates at once, at any point."""

    name = "customer_request"

    def __init__(self, commands: Iterable[str], phrases: Iterable[str]) -> None:
        self.commands = {normalize(c) for c in commands}
        words = sorted({normalize(p) for p in phrases}, key=len, reverse=True)
        self.pattern = (
            re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b") if words else None
        )

    def matches(self, text: str) -> bool:
        norm = normalize(text)
        if norm in self.commands:
            return True
        return bool(self.pattern and self.pattern.search(norm))

    def __call__(self, ctx: TurnContext) -> None:
        if ctx.text is not None and self.matches(ctx.text):
            ctx.add_reason("customer_request")


class VipRule:
    """VIP customers are served by a person (tier 2) from the first message."""

    name = "vip"

    def __call__(self, ctx: TurnContext) -> None:
        if ctx.customer.vip:
            ctx.add_reason("vip")


class CustomerRequestIntentRule:
    """Asking for a person in words the phrase list does not know, recognised by the NLU."""

    name = "customer_request_intent"

    def __init__(self, intents: Iterable[str], *, confidence_threshold: float) -> None:
        self.intents = set(intents)
        self.threshold = confidence_threshold

    def __call__(self, ctx: TurnContext) -> None:
        # Words, not a bare code or number (a one-time code must never read as "a person please").
        if (
            ctx.text
            and _WORD.search(ctx.text)
            and ctx.intent in self.intents
            and (ctx.confidence or 0.0) >= self.threshold
            and not ctx.out_of_scope
        ):
            ctx.add_reason("customer_request")
