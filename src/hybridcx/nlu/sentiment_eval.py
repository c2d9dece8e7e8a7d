"""Sentiment benchmark metrics (TweetEval: macro recall over negative/neutral/positive)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hybridcx.nlu.sentiment import _vader, analyze_sentiment

CLASSES = ("negative", "neutral", "positive")


def vader_label(text: str) -> str:
    return analyze_sentiment(text).label


def macro_recall(gold: Sequence[str], pred: Sequence[str]) -> float:
    g, p = np.asarray(gold), np.asarray(pred)
    return float(np.mean([(p[g == c] == c).mean() if (g == c).any() else 0.0 for c in CLASSES]))


def vader_band_labeller(negative_below: float, positive_above: float) -> Callable[[str], str]:
    """VADER compound with its own neutral band (the default band is -0.05..0.05)."""

    def label(text: str) -> str:
        score = float(_vader().polarity_scores(text)["compound"])
        if score >= positive_above:
            return "positive"
        return "negative" if score <= negative_below else "neutral"

    return label


def tune_vader_band(dev: Sequence[tuple[str, str]]) -> tuple[float, float]:
    """The neutral band that maximises macro recall on DEV (never on the scored file)."""
    scores = np.array([_vader().polarity_scores(t)["compound"] for t, _ in dev])
    gold = [label for _, label in dev]
    grid = np.round(np.arange(-0.6, 0.61, 0.05), 2)
    best, best_score = (-0.05, 0.05), -1.0
    for neg, pos in itertools.product(grid[grid < 0], grid[grid > 0]):
        pred = np.where(scores >= pos, "positive", np.where(scores <= neg, "negative", "neutral"))
        score = macro_recall(gold, list(pred))
        if score > best_score + 1e-9:
            best, best_score = (float(neg), float(pos)), score
    return best


def tune_class_offsets(
    probs: np.ndarray, labels: Sequence[str], gold: Sequence[str], *, span: float = 1.5
) -> np.ndarray:
    """Additive log-probability offsets per class (first class fixed at 0) that maximise macro
    recall on DEV: a trained model's priors follow its training mix, the metric weighs every
    class the same."""
    if not set(labels) <= set(CLASSES):
        raise ValueError(f"expected labels among {CLASSES}, got {list(labels)}")
    log_p = np.log(np.clip(probs, 1e-12, None))
    grid = np.round(np.arange(-span, span + 1e-9, 0.1), 2)
    index = {label: i for i, label in enumerate(labels)}
    y = np.array([index.get(g, -1) for g in gold])
    scored = [index[c] for c in CLASSES if c in index and (y == index[c]).any()]
    best, best_score = np.zeros(len(labels)), -1.0
    for rest in itertools.product(grid, repeat=len(labels) - 1):
        offsets = np.array((0.0, *rest))
        pred = (log_p + offsets).argmax(axis=1)
        recall = sum(float((pred[y == k] == k).mean()) for k in scored) / len(CLASSES)
        # Prefer the smallest shift among equally good ones (less fitted to DEV's noise).
        score = recall - 1e-4 * float(np.abs(offsets).sum())
        if score > best_score:
            best, best_score = offsets, score
    return best


def evaluate_sentiment(
    rows: Sequence[tuple[str, str]], predict: Callable[[str], str] = vader_label
) -> dict[str, float]:
    """Score `predict` (VADER by default, or a trained model's) one message at a time."""
    gold, pred, latencies = [], [], []
    for text, _ in rows[:20]:  # warm-up
        predict(text)
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


REQUEST_LABELS = {"rant_or_emotion", "none"}


def load_requests(path: Path) -> list[dict[str, str]] | None:
    """Rows of a requests CSV labelled rant_or_emotion/none (RSiCS), else None."""
    import csv

    if not Path(path).is_file() or Path(path).suffix.lower() != ".csv":
        return None  # load_examples reports what is wrong with it
    with Path(path).open(encoding="utf-8", newline="") as fh:
        rows = [row for row in csv.DictReader(fh) if row.get("text")]
    labels = {row.get("label", "") for row in rows}
    return rows if rows and labels <= REQUEST_LABELS else None


def _prf(pairs: Sequence[tuple[bool, bool]]) -> dict[str, float]:
    tp = sum(g and p for g, p in pairs)
    flagged = sum(p for _, p in pairs)
    positives = sum(g for g, _ in pairs)
    precision = tp / flagged if flagged else 0.0
    recall = tp / positives if positives else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "flagged": flagged,
        "positives": positives,
        "n": len(pairs),
    }


def evaluate_escalation(rows: Sequence[dict[str, str]], analyzer: Any = None) -> dict[str, Any]:
    """Would sentiment escalate each request? Scored against `rant_or_emotion`, overall and per
    `source`, at the model's own threshold (and a sweep of others, to show the trade-off).

    Without an analyzer: the rule routing used before the trained model (VADER compound at or
    below -0.6, or the frustration phrases at or above 0.6)."""
    scores, latencies = [], []
    for row in rows:
        started = time.perf_counter()
        if analyzer is None:
            s = analyze_sentiment(row["text"])
            scores.append(1.0 if s.score <= -0.6 or s.frustration >= 0.6 else 0.0)
        else:
            scores.append(analyzer.read(row["text"]).upset)
        latencies.append((time.perf_counter() - started) * 1000)
    threshold = 0.5 if analyzer is None else float(analyzer.model.upset_threshold)
    gold = [row["label"] == "rant_or_emotion" for row in rows]
    pairs = [(g, s >= threshold) for g, s in zip(gold, scores, strict=True)]
    report: dict[str, Any] = {"model": "rules (vader)" if analyzer is None else "product"}
    report["threshold"] = threshold
    report |= _prf(pairs)
    sources = sorted({row.get("source", "") for row in rows} - {""})
    report["by_source"] = {
        src: _prf([p for p, row in zip(pairs, rows, strict=True) if row.get("source") == src])
        for src in sources
    }
    if analyzer is not None:
        report["sweep"] = {
            f"{t:.2f}": _prf([(g, s >= t) for g, s in zip(gold, scores, strict=True)])
            for t in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
        }
    report["latency_ms_p50"] = round(float(np.percentile(latencies, 50)), 3)
    report["latency_ms_p99"] = round(float(np.percentile(latencies, 99)), 3)
    return report
