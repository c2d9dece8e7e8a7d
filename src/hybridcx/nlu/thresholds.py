"""Out-of-scope thresholds and how they are picked on held-out data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Without out-of-scope examples to tune on, the thresholds are set so that about this share of
#: correctly classified held-out in-scope messages would be flagged by each test.
IN_SCOPE_FALSE_ALARM_RATE = 0.02
#: ...but never stricter than these: near-duplicate examples (templated training data) would
#: otherwise push the similarity floor so high that every real paraphrase looked out of scope.
MAX_UNSUPERVISED_CONFIDENCE = 0.4
MAX_UNSUPERVISED_SIMILARITY = 0.4


@dataclass(frozen=True)
class OOSThresholds:
    """A message is out of scope if the OOS class wins, or its best in-scope intent's calibrated
    probability is below `confidence`, or no training example is at least `similarity` close."""

    confidence: float = 0.0
    similarity: float = -1.0

    def is_out_of_scope(
        self, *, top_label_is_oos: bool, confidence: float, similarity: float
    ) -> bool:
        return top_label_is_oos or confidence < self.confidence or similarity < self.similarity


def pick_thresholds(
    *,
    probs: np.ndarray,
    similarities: np.ndarray,
    gold: list[str],
    labels: list[str],
    oos_label: str,
    in_scope_budget: float = 0.015,
) -> OOSThresholds:
    """Pick thresholds on held-out rows (`gold` may contain `oos_label` or unseen labels).

    With out-of-scope rows: the highest OOS recall that costs at most `in_scope_budget` of
    in-scope accuracy. The budget is set on the in-scope rows because they are many, while
    dev sets carry few OOS rows (CLINC150: 100), so a recall-weighted objective overfits them.
    Without OOS rows: keep the in-scope false-alarm rate near `IN_SCOPE_FALSE_ALARM_RATE`.
    """
    label_index = {label: i for i, label in enumerate(labels)}
    in_scope_cols = np.array([i for i, label in enumerate(labels) if label != oos_label])
    is_oos = np.array([g == oos_label or g not in label_index for g in gold])
    scoped = probs[:, in_scope_cols]
    best_pos = in_scope_cols[scoped.argmax(axis=1)]
    conf = scoped.max(axis=1)
    top_is_oos = np.array([labels[i] == oos_label for i in probs.argmax(axis=1)])
    gold_idx = np.array([label_index.get(g, -1) for g in gold])
    correct = (~is_oos) & (best_pos == gold_idx) & ~top_is_oos
    if is_oos.any() and (~is_oos).any():
        return _grid_search(conf, similarities, top_is_oos, correct, is_oos, in_scope_budget)
    if not correct.any():
        return OOSThresholds()
    q = IN_SCOPE_FALSE_ALARM_RATE
    return OOSThresholds(
        confidence=min(float(np.quantile(conf[correct], q)), MAX_UNSUPERVISED_CONFIDENCE),
        similarity=min(float(np.quantile(similarities[correct], q)), MAX_UNSUPERVISED_SIMILARITY),
    )


def _grid_search(
    conf: np.ndarray,
    sims: np.ndarray,
    top_is_oos: np.ndarray,
    correct: np.ndarray,
    is_oos: np.ndarray,
    in_scope_budget: float,
) -> OOSThresholds:
    floor = (correct & ~top_is_oos)[~is_oos].mean() - in_scope_budget
    best, best_key = OOSThresholds(), (-1.0, -1.0)
    for c in np.linspace(0.0, 0.95, 96):
        for s in [-1.0, *np.linspace(0.2, 0.7, 26)]:
            flagged = top_is_oos | (conf < c) | (sims < s)
            in_scope_acc = float((correct & ~flagged)[~is_oos].mean())
            if in_scope_acc < floor - 1e-12:
                continue
            key = (float(flagged[is_oos].mean()), in_scope_acc)
            if key > best_key:
                best, best_key = OOSThresholds(float(c), float(s)), key
    return best
