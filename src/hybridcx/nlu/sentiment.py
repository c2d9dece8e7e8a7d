"""Per-message sentiment (VADER compound score), a frustration signal, and a trend helper."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

#: Phrases that signal frustration or anger in customer service, with their weights.
FRUSTRATION_PATTERNS: list[tuple[re.Pattern[str], float]] = [
    (re.compile(p, re.I), w)
    for p, w in [
        (r"\b(ridiculous|unacceptable|outrageous|disgrace(ful)?|pathetic|appalling)\b", 0.45),
        (r"\b(useless|incompetent|joke|scam|rip[- ]?off|worst|terrible|horrible|awful)\b", 0.4),
        (r"\b(third|3rd|fourth|fifth|several|many|multiple)\s+(time|times)\b", 0.4),
        (r"\b(again and again|over and over|still (not|no|haven'?t|hasn'?t)|yet again)\b", 0.3),
        (r"\b(fed up|sick of|sick and tired|had enough|furious|angry|livid|frustrat\w*)\b", 0.5),
        (r"\b(f+u+c+k+\w*|shit\w*|crap|damn|wtf|bloody|bs)\b", 0.5),
        (r"\b(cancel (my|the) account|take my business|never (buy|order|shop)\w* .*again)\b", 0.45),
        (
            r"\b(switch(ing)? to|going to|go to) (a )?(competitor|another (company|store|shop))\b",
            0.45,
        ),
        (r"\b(lawyer|legal action|sue|court|ombudsman|trading standards|report you)\b", 0.5),
        (
            r"\b(waste of (my )?time|nobody (cares|answers|helps)|no one (cares|answers|helps))\b",
            0.4,
        ),
        (r"\b(waiting (for )?(weeks|ages|days|hours|forever))\b", 0.3),
    ]
]
_SHOUTED_WORD = re.compile(r"\b[A-Z]{3,}\b")
_REPEATED_PUNCT = re.compile(r"[!?]{2,}")


@dataclass(frozen=True)
class Sentiment:
    """`score` is VADER's compound in [-1, 1]; `frustration` in [0, 1]; `label` from the score."""

    score: float
    frustration: float
    label: str  # "negative" | "neutral" | "positive"


@lru_cache(maxsize=1)
def _vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def analyze_sentiment(text: str, *, neutral_band: float = 0.05) -> Sentiment:
    score = float(_vader().polarity_scores(text)["compound"])
    label = (
        "positive" if score >= neutral_band else "negative" if score <= -neutral_band else "neutral"
    )
    return Sentiment(score=score, frustration=frustration_score(text, score), label=label)


def frustration_score(text: str, compound: float | None = None) -> float:
    """0 (calm) .. 1 (clearly frustrated or angry), from phrases, shouting and punctuation."""
    total = float(sum(w for pattern, w in FRUSTRATION_PATTERNS if pattern.search(text)))
    words = re.findall(r"[A-Za-z]+", text)
    shouted = _SHOUTED_WORD.findall(text)
    if len(words) >= 3 and len(shouted) / len(words) >= 0.5:
        total += 0.35
    elif len(shouted) >= 2:
        total += 0.15
    if _REPEATED_PUNCT.search(text):
        total += 0.2
    if compound is None:
        compound = float(_vader().polarity_scores(text)["compound"])
    if compound < -0.5:
        total += 0.2 * (-compound - 0.5) / 0.5 + 0.1
    return round(min(total, 1.0), 4)


@dataclass(frozen=True)
class SentimentTrend:
    """Slope per message of the recent scores (negative: getting worse) and whether it worsens."""

    slope: float
    latest: float
    mean: float
    worsening: bool


def sentiment_trend(
    scores: Sequence[float], *, window: int = 5, worsening_slope: float = -0.15
) -> SentimentTrend:
    """Least-squares slope over the last `window` scores; worsening if the slope is at or below
    `worsening_slope` and the latest score is negative."""
    recent = list(scores)[-window:]
    if not recent:
        return SentimentTrend(0.0, 0.0, 0.0, False)
    n = len(recent)
    mean = sum(recent) / n
    if n < 2:
        return SentimentTrend(0.0, recent[-1], mean, False)
    x_mean = (n - 1) / 2
    num = sum((i - x_mean) * (s - mean) for i, s in enumerate(recent))
    den = sum((i - x_mean) ** 2 for i in range(n))
    slope = num / den
    return SentimentTrend(
        round(slope, 4), recent[-1], round(mean, 4), slope <= worsening_slope and recent[-1] < 0
    )
