"""Assessment: sentiment and its trend, legal/compliance topics, complexity and customer value."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from hybridcx.pipeline.base import TurnContext
from hybridcx.pipeline.policy import ComplexityPolicy, SentimentPolicy
from hybridcx.pipeline.steps.multi import servable


@dataclass(frozen=True)
class SentimentScore:
    """One message as the sentiment model reads it."""

    polarity: float  # -1 (negative) .. 1 (positive): P(positive) - P(negative), calibrated
    upset: float  # 0 .. 1: how upset (angry, frustrated) the customer is: the escalation signal
    #: The model's own escalation threshold on `upset`, picked on dev data for a stated precision.
    upset_threshold: float = 0.5
    emotion: str | None = None  # the strongest emotion the message shows, if any
    emotions: Mapping[str, float] = field(default_factory=dict)
    label: str | None = None  # negative / neutral / positive


class SentimentScorer(Protocol):
    """Reads one message. `embedding` is the turn's sentence vector when the caller already has
    it (the model then does not encode the text again)."""

    def score(self, text: str, *, embedding: Any = None) -> SentimentScore: ...


TREND_MIN_WORDS = 3
#: A worsening trend escalates only with one of these emotions named in the latest message: a
#: polarity drop alone is often a plain request read as negative ("please cancel my order").
TREND_EMOTIONS = frozenset({"anger", "frustration", "anxiety"})


class SentimentStep:
    """Reads this message (polarity, upset, emotions) and the trend over the customer's recent
    messages; escalates an upset customer, a very negative message or a sharp worsening."""

    name = "sentiment"

    def __init__(self, scorer: SentimentScorer, policy: SentimentPolicy) -> None:
        self.scorer = scorer
        self.policy = policy

    def __call__(self, ctx: TurnContext) -> None:
        if ctx.text is None:
            return
        now = self.scorer.score(ctx.text)
        ctx.sentiment = round(now.polarity, 4)
        ctx.upset = round(now.upset, 4)
        ctx.emotions = dict(now.emotions)
        ctx.emotion = now.emotion
        ctx.scores["sentiment"] = ctx.sentiment
        ctx.scores["upset"] = ctx.upset
        for name, value in now.emotions.items():
            ctx.scores[f"emotion_{name}"] = round(float(value), 4)
        history = [line.text for line in ctx.transcript if line.author == "customer"]
        if history and history[-1] == ctx.text:
            history = history[:-1]  # the transcript already holds this message
        # Short answers to a flow ("yes", "1") carry no mood of their own.
        history = [t for t in history if len(t.split()) >= TREND_MIN_WORDS]
        recent = [self.scorer.score(t).polarity for t in history[-(self.policy.trend_window - 1) :]]
        drop = trend_drop([*recent, now.polarity])
        ctx.scores["sentiment_trend_drop"] = round(drop, 4)
        ctx.scores["sentiment_trend_slope"] = round(trend_slope([*recent, now.polarity]), 4)
        upset_above = self.policy.frustration_above
        if upset_above is None:
            upset_above = now.upset_threshold
        ctx.scores["upset_threshold"] = upset_above
        negative_below = self.policy.negative_below
        if (
            now.upset >= upset_above
            or (negative_below is not None and now.polarity <= negative_below)
            or (
                len(recent) >= 1
                and drop >= self.policy.trend_drop
                and now.polarity < 0
                and now.emotion in TREND_EMOTIONS
            )
        ):
            ctx.add_reason("negative_sentiment")
            ctx.emotion = now.emotion or _strongest_negative(now.emotions)


def _strongest_negative(emotions: Mapping[str, float]) -> str:
    """What a person will meet when no cue passed its threshold: the strongest negative cue,
    else frustration (what upset customers in the labelled requests mostly show)."""
    found = {k: v for k, v in emotions.items() if k != "satisfaction" and v > 0}
    return max(found, key=lambda k: found[k]) if found else "frustration"


def trend_slope(scores: Sequence[float]) -> float:
    """Least-squares change of the polarity per message (negative: getting worse)."""
    n = len(scores)
    if n < 2:
        return 0.0
    x_mean, y_mean = (n - 1) / 2, sum(scores) / n
    num = sum((i - x_mean) * (s - y_mean) for i, s in enumerate(scores))
    return num / sum((i - x_mean) ** 2 for i in range(n))


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

    def __init__(
        self,
        policy: ComplexityPolicy,
        *,
        high_value_lifetime: float,
        automated: Iterable[str] = (),
    ) -> None:
        self.policy = policy
        self.high_value_lifetime = high_value_lifetime
        # Intents the AI serves itself: a message whose parts are all such is served part by
        # part (steps.multi), not handed over as complex.
        self.automated = frozenset(automated)

    def __call__(self, ctx: TurnContext) -> None:
        if ctx.text is None:
            return
        score = complexity_score(ctx, self.policy, automated=self.automated)
        ctx.scores["complexity"] = score
        if score >= self.policy.threshold:
            ctx.add_reason("complex")
            if ctx.customer.lifetime_value >= self.high_value_lifetime:
                ctx.add_reason("high_value")


def complexity_score(
    ctx: TurnContext, policy: ComplexityPolicy, *, automated: frozenset[str] = frozenset()
) -> float:
    text = ctx.text or ""
    score = 0.0
    ranking = ctx.ranking
    if servable([p for p in ctx.parts if p.intent is not None], automated):
        pass  # several requests the AI serves one after the other (steps.multi; unread parts
        # are named to the customer there)
    elif len(set(ctx.part_intents)) >= 2:
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
