"""Assessment: sentiment and its trend, legal/compliance topics, complexity and customer value."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from hybridcx.pipeline.base import TurnContext
from hybridcx.pipeline.policy import ComplexityPolicy, SentimentPolicy


@dataclass(frozen=True)
class SentimentScore:
    compound: float  # -1 (very negative) .. 1 (very positive)
    frustration: float  # 0 .. 1: anger / frustration signal


class SentimentScorer(Protocol):
    def score(self, text: str) -> SentimentScore: ...


class SentimentStep:
    """Scores this message, and the trend over the customer's recent messages."""

    name = "sentiment"

    def __init__(self, scorer: SentimentScorer, policy: SentimentPolicy) -> None:
        self.scorer = scorer
        self.policy = policy

    def __call__(self, ctx: TurnContext) -> None:
        if ctx.text is None:
            return
        now = self.scorer.score(ctx.text)
        ctx.sentiment = round(now.compound, 4)
        ctx.frustration = round(now.frustration, 4)
        ctx.scores["sentiment"] = ctx.sentiment
        ctx.scores["frustration"] = ctx.frustration
        history = [line.text for line in ctx.transcript if line.author == "customer"]
        if history and history[-1] == ctx.text:
            history = history[:-1]  # the transcript already holds this message
        recent = [self.scorer.score(t).compound for t in history[-(self.policy.trend_window - 1) :]]
        drop = trend_drop([*recent, now.compound])
        ctx.scores["sentiment_trend_drop"] = round(drop, 4)
        if (
            now.compound <= self.policy.negative_below
            or now.frustration >= self.policy.frustration_above
            or (len(recent) >= 1 and drop >= self.policy.trend_drop and now.compound < 0)
        ):
            ctx.add_reason("negative_sentiment")


def trend_drop(scores: Sequence[float]) -> float:
    """How far sentiment fell: the best earlier score minus the latest (0 if it did not fall)."""
    if len(scores) < 2:
        return 0.0
    return max(0.0, max(scores[:-1]) - scores[-1])


class LegalComplianceRule:
    """Legal threats, regulator complaints and data-protection requests go to tier 3."""

    name = "legal_compliance"

    def __init__(self, patterns: Sequence[str]) -> None:
        self.patterns = [re.compile(p, re.IGNORECASE) for p in patterns]

    def __call__(self, ctx: TurnContext) -> None:
        if ctx.text and any(p.search(ctx.text) for p in self.patterns):
            ctx.add_reason("legal_compliance")


class ComplexityStep:
    """Several intents at once, long or repeated contact, ambiguity between the top two intents;
    a complex contact from a high-value customer goes to tier 3."""

    name = "complexity"

    def __init__(self, policy: ComplexityPolicy, *, high_value_lifetime: float) -> None:
        self.policy = policy
        self.high_value_lifetime = high_value_lifetime

    def __call__(self, ctx: TurnContext) -> None:
        if ctx.text is None:
            return
        score = complexity_score(ctx, self.policy)
        ctx.scores["complexity"] = score
        if score >= self.policy.threshold:
            ctx.add_reason("complex")
            if ctx.customer.lifetime_value >= self.high_value_lifetime:
                ctx.add_reason("high_value")


def complexity_score(ctx: TurnContext, policy: ComplexityPolicy) -> float:
    text = ctx.text or ""
    score = 0.0
    ranking = ctx.ranking
    if len(set(ctx.part_intents)) >= 2:
        score += 0.6  # its parts ask for different things
    elif len(ranking) >= 2 and not ctx.out_of_scope:
        (_, p1), (_, p2) = ranking[0], ranking[1]
        if p2 >= policy.second_intent_min and _several_requests(text):
            score += 0.6  # two different things asked in one message
        elif p1 - p2 < 0.1 and p1 < 0.6:
            score += 0.2  # the model cannot tell two intents apart
    if len(text) >= policy.long_message_chars:
        score += 0.3
    if ctx.prior_contacts >= policy.repeat_contacts:
        score += 0.3
    return round(min(score, 1.0), 3)


_JOINERS = re.compile(
    r"\b(and also|also|as well as|another thing|plus|and|;)\b|\?.+\?", re.IGNORECASE
)


def _several_requests(text: str) -> bool:
    return bool(_JOINERS.search(text)) and len(text.split()) >= 8
