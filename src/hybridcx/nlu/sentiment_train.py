"""Training the sentiment model offline (`hybridcx sentiment train`); scikit-learn only here.

The benchmark's test tweets (SemEval-2017) are later than the 2013-2016 training pool and
neutral-heavy, so calibration and the macro-recall decision offsets are fitted on a carve of the
latest file in the pool (`twitter-2016test`, by default 30 % of it, stratified), which is held
out of the training rows. The upset head is fitted on labelled customer requests (RSiCS
`rant_or_emotion`), its threshold picked by cross-validation on them for a stated precision.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from hybridcx.nlu.calibration import softmax
from hybridcx.nlu.embeddings import TextEmbedder
from hybridcx.nlu.errors import TrainingDataError
from hybridcx.nlu.sentiment_eval import macro_recall, tune_class_offsets
from hybridcx.nlu.sentiment_model import (
    HASH_BITS,
    LABELS,
    SentimentModel,
    dense_features,
    hashed_ngrams,
    normalise,
)
from hybridcx.nlu.vector_cache import encode_cached


@dataclass(frozen=True)
class SentimentTrainConfig:
    c: float = 1.0
    embedding_weight: float = 2.0
    recent_source: str = "2016test"
    recent_fraction: float = 0.3
    #: Share of the training file used (a seeded random sample, file order kept): encoding all
    #: 48k tweets with MiniLM takes most of an hour on a shared 2-core machine.
    sample_fraction: float = 1.0
    #: Precision the escalation threshold must reach on the labelled requests (cross-validated).
    upset_precision: float = 0.6
    seed: int = 0


@dataclass
class PolarityRows:
    texts: list[str]
    labels: np.ndarray  # indices into LABELS
    vectors: np.ndarray


@dataclass
class TrainReport:
    n_train: int
    n_carve: int
    carve_macro_recall: float
    carve_macro_recall_without_offsets: float
    seconds: float
    upset: dict[str, Any] = field(default_factory=dict)


def sample_rows(rows: Sequence[dict[str, str]], fraction: float, seed: int) -> list[dict[str, str]]:
    """A seeded random share of the rows, in file order."""
    if fraction >= 1.0:
        return list(rows)
    keep = np.random.default_rng(seed).random(len(rows)) < fraction
    return [row for row, k in zip(rows, keep, strict=True) if k]


def split_recent(
    rows: Sequence[dict[str, str]], config: SentimentTrainConfig
) -> tuple[list[int], list[int]]:
    """Indices of training rows and of the stratified carve of the most recent source file."""
    rng = np.random.default_rng(config.seed)
    recent = [i for i, r in enumerate(rows) if config.recent_source in r.get("source_file", "")]
    if not recent:
        raise TrainingDataError(
            f"No rows with source_file containing {config.recent_source!r} to carve a dev set "
            "from; pass --dev-source with a part of the latest file's name."
        )
    carve: list[int] = []
    for label in LABELS:
        idx = [i for i in recent if rows[i]["label"] == label]
        idx = list(rng.permutation(idx))
        carve += idx[: int(round(len(idx) * config.recent_fraction))]
    chosen = set(carve)
    return [i for i in range(len(rows)) if i not in chosen], sorted(carve)


def polarity_design(texts: Sequence[str], vectors: np.ndarray, weight: float) -> sparse.csr_matrix:
    indptr, indices, values = [0], [], []
    for text in texts:
        cols, vals = hashed_ngrams(text)
        indices.append(cols)
        values.append(vals)
        indptr.append(indptr[-1] + len(cols))
    hashed = sparse.csr_matrix(
        (np.concatenate(values), np.concatenate(indices), np.array(indptr)),
        shape=(len(texts), 1 << HASH_BITS),
    )
    dense = np.vstack([dense_features(t) for t in texts])
    return sparse.hstack(
        [sparse.csr_matrix(vectors * np.float32(weight)), hashed, sparse.csr_matrix(dense)]
    ).tocsr()


def fit_polarity(rows: PolarityRows, config: SentimentTrainConfig) -> SentimentModel:
    from sklearn.linear_model import LogisticRegression

    design = polarity_design(rows.texts, rows.vectors, config.embedding_weight)
    clf = LogisticRegression(C=config.c, max_iter=3000, random_state=config.seed)
    clf.fit(design, rows.labels)
    coef = np.asarray(clf.coef_, dtype=np.float32)
    dim, n_hashed = rows.vectors.shape[1], 1 << HASH_BITS
    return SentimentModel(
        embedding_weight=config.embedding_weight,
        coef_embedding=coef[:, :dim].copy(),
        coef_hashed=coef[:, dim : dim + n_hashed].copy(),
        coef_dense=coef[:, dim + n_hashed :].copy(),
        intercept=np.asarray(clf.intercept_, dtype=np.float32),
    )


def fit_calibration(logits: np.ndarray, gold: np.ndarray) -> tuple[float, np.ndarray]:
    """Temperature and per-class biases (first fixed at 0) minimising NLL on the carve: the
    biases move the training mix's priors to the carve's (the later, neutral-heavy period)."""
    from scipy.optimize import minimize

    def nll(params: np.ndarray) -> float:
        bias = np.array([0.0, params[1], params[2]])
        probs = softmax(logits / np.exp(params[0]) + bias)
        return float(-np.mean(np.log(np.clip(probs[np.arange(len(gold)), gold], 1e-12, None))))

    result = minimize(nll, np.zeros(3), method="Nelder-Mead", options={"maxiter": 2000})
    return float(np.exp(result.x[0])), np.array([0.0, result.x[1], result.x[2]])


def train_sentiment(
    rows: Sequence[dict[str, str]],
    *,
    embedder: TextEmbedder,
    config: SentimentTrainConfig | None = None,
    requests: Sequence[dict[str, str]] | None = None,
    vector_cache: Path | None = None,
) -> tuple[SentimentModel, TrainReport]:
    """Polarity on `rows` (text, label, source_file), calibrated on the recent carve; the upset
    head on `requests` (text, label rant_or_emotion/none) when given."""
    config = config or SentimentTrainConfig()
    started = time.perf_counter()
    rows = sample_rows(rows, config.sample_fraction, config.seed)
    bad = sorted({r["label"] for r in rows} - set(LABELS))
    if bad:
        raise TrainingDataError(f"Sentiment labels must be {LABELS}, found {bad[:3]}.")
    texts = [normalise(r["text"]) for r in rows]
    vectors = encode_cached(embedder, texts, vector_cache)
    y = np.array([LABELS.index(r["label"]) for r in rows])
    fit_idx, carve_idx = split_recent(rows, config)
    model = fit_polarity(
        PolarityRows([texts[i] for i in fit_idx], y[fit_idx], vectors[fit_idx]), config
    )
    carve_texts = [texts[i] for i in carve_idx]
    logits = model.logits(carve_texts, vectors[carve_idx])
    model.temperature, model.calibration_bias = fit_calibration(logits, y[carve_idx])
    probs = model.calibrated(logits)
    gold = [LABELS[i] for i in y[carve_idx]]
    plain = macro_recall(gold, [LABELS[i] for i in probs.argmax(axis=1)])
    model.decision_offsets = tune_class_offsets(probs, list(LABELS), gold)
    tuned = macro_recall(gold, [LABELS[i] for i in model.decide(probs)])
    model.embedder_id = embedder.model_id
    report = TrainReport(
        n_train=len(fit_idx),
        n_carve=len(carve_idx),
        carve_macro_recall=round(tuned, 4),
        carve_macro_recall_without_offsets=round(plain, 4),
        seconds=0.0,
    )
    if requests:
        report.upset = fit_upset(model, requests, embedder, config, vector_cache)
    report.seconds = round(time.perf_counter() - started, 1)
    model.info = {
        "trained_on": f"{len(fit_idx)} tweets; calibrated on {len(carve_idx)} "
        f"({config.recent_source} carve)",
        "config": {k: getattr(config, k) for k in config.__dataclass_fields__},
        "carve_macro_recall": report.carve_macro_recall,
        "upset": report.upset,
    }
    return model, report


def upset_design(model: SentimentModel, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
    clean = [normalise(t) for t in texts]
    probs = model.calibrated(model.logits(clean, vectors))
    return np.vstack([model.upset_features(p, t) for p, t in zip(probs, clean, strict=True)])


def fit_upset(
    model: SentimentModel,
    requests: Sequence[dict[str, str]],
    embedder: TextEmbedder,
    config: SentimentTrainConfig,
    vector_cache: Path | None,
) -> dict[str, Any]:
    """A 7-weight logistic head on the requests; threshold: the lowest whose cross-validated
    precision reaches `upset_precision` (out-of-fold scores, 2 folds by text hash)."""
    from sklearn.linear_model import LogisticRegression

    texts = [normalise(r["text"]) for r in requests]
    gold = np.array([r["label"] == "rant_or_emotion" for r in requests])
    features = upset_design(model, texts, encode_cached(embedder, texts, vector_cache))
    folds = np.array([hash_fold(t) for t in texts])
    oof = np.zeros(len(texts))
    for k in (0, 1):
        clf = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)
        clf.fit(features[folds != k], gold[folds != k])
        oof[folds == k] = clf.predict_proba(features[folds == k])[:, 1]
    threshold, stats = threshold_for_precision(oof, gold, config.upset_precision)
    final = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)
    final.fit(features, gold)
    model.upset_coef = np.asarray(final.coef_[0], dtype=np.float64)
    model.upset_intercept = float(final.intercept_[0])
    model.upset_threshold = threshold
    return stats | {"threshold": threshold, "n": len(texts), "positives": int(gold.sum())}


def hash_fold(text: str) -> int:
    import zlib

    return zlib.crc32(" ".join(text.lower().split()).encode()) % 2


def prf(scores: np.ndarray, gold: np.ndarray, threshold: float) -> dict[str, float]:
    pred = scores >= threshold
    tp = int((pred & gold).sum())
    precision = tp / int(pred.sum()) if pred.any() else 0.0
    recall = tp / int(gold.sum()) if gold.any() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def threshold_for_precision(
    scores: np.ndarray, gold: np.ndarray, precision: float
) -> tuple[float, dict[str, float]]:
    """The lowest threshold (most recall) whose precision is at least `precision`."""
    for threshold in np.round(np.arange(0.05, 0.991, 0.01), 2):
        stats = prf(scores, gold, float(threshold))
        if stats["precision"] >= precision and stats["recall"] > 0:
            return float(threshold), stats
    return 0.99, prf(scores, gold, 0.99)
