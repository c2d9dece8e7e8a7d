"""Sentiment benchmark metrics (TweetEval: macro recall over negative/neutral/positive)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from hybridcx.nlu.sentiment import analyze_sentiment

CLASSES = ("negative", "neutral", "positive")


def vader_label(text: str) -> str:
    return analyze_sentiment(text).label


def evaluate_sentiment(
    rows: Sequence[tuple[str, str]], predict: Callable[[str], str] = vader_label
) -> dict[str, float]:
    """Score `predict` (VADER by default, or a trained model's) one message at a time."""
    gold, pred, latencies = [], [], []
    for text, label in rows:
        started = time.perf_counter()
        pred.append(predict(text))
        latencies.append((time.perf_counter() - started) * 1000)
        gold.append(label)
    g, p = np.array(gold), np.array(pred)
    recalls = {c: float((p[g == c] == c).mean()) if (g == c).any() else 0.0 for c in CLASSES}
    neg_pred = p == "negative"
    return {
        "macro_recall": round(float(np.mean(list(recalls.values()))), 4),
        "accuracy": round(float((g == p).mean()), 4),
        "negative_recall": round(recalls["negative"], 4),
        "negative_precision": round(float((g[neg_pred] == "negative").mean()), 4)
        if neg_pred.any()
        else 0.0,
        "latency_ms_p50": round(float(np.percentile(latencies, 50)), 3),
        "latency_ms_p99": round(float(np.percentile(latencies, 99)), 3),
        "n_test": len(rows),
    }
