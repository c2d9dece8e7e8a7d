"""Benchmark metrics for intents: accuracy, macro-F1, ECE, OOS, latency."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from hybridcx.nlu.calibration import expected_calibration_error
from hybridcx.nlu.classifier import ClassifierConfig, Example, IntentClassifier

ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True)
class EvalResult:
    metrics: dict[str, float]
    predictions: list[str]


def macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Mean F1 over the labels present in `gold` (the usual benchmark convention)."""
    scores = []
    for label in sorted(set(gold)):
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p != label)
        denom = 2 * tp + fp + fn
        scores.append(2 * tp / denom if denom else 0.0)
    return float(np.mean(scores)) if scores else 0.0


def train_and_evaluate(
    train: Sequence[Example],
    test: Sequence[Example],
    *,
    dev: Sequence[Example] | None = None,
    oos_label: str = "oos",
    config: ClassifierConfig | None = None,
    progress: ProgressFn | None = None,
) -> EvalResult:
    """Train on `train` (thresholds from `dev` or a carve of `train`), then score `test` once."""
    config = config or ClassifierConfig(oos_label=oos_label)
    if progress:
        progress("train", 0, len(train))
    started = time.perf_counter()
    model = IntentClassifier.train(train, dev=dev, config=config)
    train_seconds = time.perf_counter() - started
    result = evaluate(model, test, oos_label=oos_label, progress=progress)
    result.metrics["train_seconds"] = round(train_seconds, 2)
    return result


def evaluate(
    model: IntentClassifier,
    test: Sequence[Example],
    *,
    oos_label: str = "oos",
    progress: ProgressFn | None = None,
    warmup: int = 20,
    handoff_confidence: float = 0.7,
    oos_types: Sequence[str] | None = None,
) -> EvalResult:
    """Score TEST one message at a time (the production path).

    `in_scope_handoff_rate` is the share of in-scope rows a person would get: flagged out of
    scope, or confidence below `handoff_confidence`. With `oos_types` (row for row, e.g.
    BANKING77-OOS's in_scope / id_oos / ood_oos), OOS recall is reported per type."""
    texts = [t for t, _ in test]
    gold = [label for _, label in test]
    for text in texts[:warmup]:
        model.predict(text)
    # Without OOS rows in TEST the benchmark is closed-set (as published): score the top
    # intent and report separately how often the engine would have flagged the message.
    open_set = oos_label in gold
    predicted, latencies, flagged = [], [], 0
    to_people: list[bool] = []
    for i, text in enumerate(texts):
        started = time.perf_counter()
        p = model.predict(text)
        latencies.append((time.perf_counter() - started) * 1000)
        flagged += p.out_of_scope
        to_people.append(p.out_of_scope or p.confidence < handoff_confidence)
        top = p.ranking[0][0] if p.ranking else oos_label
        predicted.append(oos_label if open_set and p.out_of_scope else top)
        if progress and (i + 1) % 500 == 0:
            progress("test", i + 1, len(texts))
    metrics = _scores(gold, predicted, oos_label)
    if not open_set:
        metrics["flagged_oos_rate"] = round(flagged / max(len(texts), 1), 4)
    in_scope = [i for i, g in enumerate(gold) if g != oos_label]
    if in_scope:
        metrics["in_scope_handoff_rate"] = round(
            sum(to_people[i] for i in in_scope) / len(in_scope), 4
        )
    if oos_types is not None:
        metrics |= _recall_by_type(gold, predicted, oos_types, oos_label)
    metrics["ece"] = _ece(model, texts, gold)
    metrics["latency_ms_p50"] = round(float(np.percentile(latencies, 50)), 3)
    metrics["latency_ms_p99"] = round(float(np.percentile(latencies, 99)), 3)
    metrics["n_test"] = len(texts)
    return EvalResult(metrics, predicted)


def _recall_by_type(
    gold: list[str], predicted: list[str], oos_types: Sequence[str], oos_label: str
) -> dict[str, float]:
    out: dict[str, float] = {}
    for kind in sorted(set(oos_types)):
        rows = [i for i, t in enumerate(oos_types) if t == kind and gold[i] == oos_label]
        if rows:
            out[f"oos_recall_{kind}"] = round(
                sum(predicted[i] == oos_label for i in rows) / len(rows), 4
            )
            out[f"n_{kind}"] = len(rows)
    return out


def _scores(gold: list[str], pred: list[str], oos_label: str) -> dict[str, float]:
    g, p = np.array(gold), np.array(pred)
    metrics = {
        "accuracy": round(float((g == p).mean()), 4),
        "macro_f1": round(macro_f1(gold, pred), 4),
    }
    is_oos = g == oos_label
    if is_oos.any():
        flagged = p == oos_label
        metrics["in_scope_accuracy"] = round(float((g == p)[~is_oos].mean()), 4)
        metrics["oos_recall"] = round(float(flagged[is_oos].mean()), 4)
        metrics["oos_precision"] = round(float(is_oos[flagged].mean()) if flagged.any() else 0.0, 4)
    return metrics


def _ece(model: IntentClassifier, texts: list[str], gold: list[str]) -> float:
    """ECE (15 bins) of the closed-set classifier: top class probability vs. being right.

    When the model has an OOS class, predicting it for an OOS row counts as right.
    """
    probs = model.predict_proba(texts)
    top = probs.argmax(axis=1)
    correct = np.array([model.labels[i] == g for i, g in zip(top, gold, strict=True)])
    return round(expected_calibration_error(probs.max(axis=1), correct, n_bins=15), 4)


# ---- few-shot (a new workspace has ~10 examples per intent) --------------------------


def sample_per_label(examples: Sequence[Example], per_label: int, seed: int) -> list[Example]:
    """`per_label` random examples of every label (all of them when a label has fewer)."""
    import random

    by_label: dict[str, list[Example]] = {}
    for example in examples:
        by_label.setdefault(example[1], []).append(example)
    rng = random.Random(seed)
    picked: list[Example] = []
    for label in sorted(by_label):
        group = by_label[label]
        picked += rng.sample(group, min(per_label, len(group)))
    return picked


def score_batch(
    model: IntentClassifier, test: Sequence[Example], *, oos_label: str = "oos"
) -> dict[str, float]:
    """Accuracy-type metrics (no latency) with batched prediction: for repeated runs."""
    texts = [t for t, _ in test]
    gold = [label for _, label in test]
    open_set = oos_label in gold
    predicted = []
    for start in range(0, len(texts), 256):
        for p in model.predict_many(texts[start : start + 256]):
            top = p.ranking[0][0] if p.ranking else oos_label
            predicted.append(oos_label if open_set and p.out_of_scope else top)
    metrics = _scores(gold, predicted, oos_label)
    metrics["ece"] = _ece(model, texts, gold)
    return metrics


def few_shot_evaluate(
    train: Sequence[Example],
    test: Sequence[Example],
    *,
    per_label: int,
    seeds: int,
    dev: Sequence[Example] | None = None,
    oos_label: str = "oos",
    config: ClassifierConfig | None = None,
    progress: ProgressFn | None = None,
) -> dict[str, float | list[float]]:
    """Train on `per_label` examples per label drawn from TRAIN with seeds 0..seeds-1 (the OOS
    label, if TRAIN has it, is sampled like any other label); score TEST with each model;
    report the mean and sample standard deviation over seeds of every metric."""
    config = config or ClassifierConfig(oos_label=oos_label)
    runs: list[dict[str, float]] = []
    for seed in range(seeds):
        sample = sample_per_label(train, per_label, seed)
        if progress:
            progress("train", seed, len(sample))
        started = time.perf_counter()
        model = IntentClassifier.train(sample, dev=dev, config=config)
        seconds = time.perf_counter() - started
        runs.append(score_batch(model, test, oos_label=oos_label) | {"train_seconds": seconds})
    report: dict[str, float | list[float]] = {"few_shot": per_label, "seeds": seeds}
    for key in runs[0]:
        values = np.array([run[key] for run in runs], dtype=np.float64)
        report[f"{key}_mean"] = round(float(values.mean()), 4)
        report[f"{key}_std"] = round(float(values.std(ddof=1)) if len(values) > 1 else 0.0, 4)
    report["accuracy_per_seed"] = [round(float(run["accuracy"]), 4) for run in runs]
    report["n_train_per_seed"] = len(sample_per_label(train, per_label, 0))
    report["n_test"] = len(test)
    return report
