"""Retraining with a quality gate: train a candidate, compare it with the active model on the
frozen evaluation set and on recent labelled traffic, promote it only if it is not worse.

Pure with respect to the database and settings: callers pass the examples and the margins.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import structlog

from hybridcx.improvement.datasets import (
    FROZEN_EVAL_VERSION,
    Example,
    fingerprint,
    frozen_eval_set,
    to_csv,
    without,
)
from hybridcx.improvement.registry import ModelRegistry, ModelVersion
from hybridcx.kit.ids import utcnow
from hybridcx.kit.time import iso

if TYPE_CHECKING:
    from hybridcx.nlu.classifier import IntentClassifier

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class GateMargins:
    """How much worse than the active model a candidate may be and still be promoted."""

    accuracy: float = 0.01
    oos_recall: float = 0.02
    ece: float = 0.02
    #: Fewer agent-labelled messages than this and the traffic check is skipped (noted).
    min_traffic: int = 10


@dataclass
class GateResult:
    promote: bool
    checks: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class RetrainOutcome:
    version: ModelVersion | None
    promoted: bool
    gate: GateResult | None
    bootstrapped: ModelVersion | None = None
    skipped: str | None = None
    train_seconds: float = 0.0


class CachingEmbedder:
    """Wraps the MiniLM embedder and remembers vectors by text: retraining on data that is
    mostly unchanged then embeds only the new examples (the model id is the wrapped one's)."""

    MAX_ENTRIES = 20_000  # about 30 MB of float32 vectors

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self._cache: dict[str, np.ndarray] = {}

    @property
    def model_id(self) -> str:
        return str(self.inner.model_id)

    @property
    def dim(self) -> int:
        return int(self.inner.dim)

    def encode(self, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            if len(self._cache) + len(missing) > self.MAX_ENTRIES:
                self._cache.clear()
            for text, vector in zip(missing, self.inner.encode(missing), strict=True):
                self._cache[text] = vector
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts]).astype(np.float32)


_EMBEDDER: CachingEmbedder | None = None


def learning_embedder() -> CachingEmbedder:
    global _EMBEDDER
    if _EMBEDDER is None:
        from hybridcx.nlu.embeddings import shared_embedder

        _EMBEDDER = CachingEmbedder(shared_embedder())
    return _EMBEDDER


def measure(
    model: IntentClassifier, frozen: Sequence[Example], traffic: Sequence[Example]
) -> dict[str, Any]:
    """Accuracy, out-of-scope recall and ECE on the frozen set; accuracy on recent traffic."""
    from hybridcx.nlu.evaluation import score_batch

    metrics: dict[str, Any] = {"frozen": score_batch(model, frozen)}
    if traffic:
        metrics["traffic"] = score_batch(model, traffic) | {"n": len(traffic)}
    return metrics


def gate(
    candidate: dict[str, Any], active: dict[str, Any], margins: GateMargins, *, traffic_n: int
) -> GateResult:
    """Not worse beyond the margins on every check (higher is better except ECE)."""
    result = GateResult(promote=True)
    checks = [
        ("frozen", "accuracy", margins.accuracy, True),
        ("frozen", "oos_recall", margins.oos_recall, True),
        ("frozen", "ece", margins.ece, False),
    ]
    if traffic_n >= margins.min_traffic:
        checks.append(("traffic", "accuracy", margins.accuracy, True))
    else:
        result.notes.append(
            f"recent labelled traffic: {traffic_n} message(s), fewer than {margins.min_traffic}; "
            "not checked"
        )
    for data_set, metric, margin, higher_is_better in checks:
        cand = float(candidate[data_set].get(metric, 0.0))
        act = float(active[data_set].get(metric, 0.0))
        ok = cand >= act - margin if higher_is_better else cand <= act + margin
        result.checks.append(
            {
                "set": data_set,
                "metric": metric,
                "candidate": round(cand, 4),
                "active": round(act, 4),
                "margin": margin,
                "ok": ok,
            }
        )
        result.promote = result.promote and ok
    return result


def train_model(examples: Sequence[Example]) -> IntentClassifier:
    from hybridcx.nlu.classifier import IntentClassifier

    return IntentClassifier.train(list(examples), embedder=learning_embedder())


def _register(
    registry: ModelRegistry,
    model: IntentClassifier,
    examples: Sequence[Example],
    *,
    status: str,
    parent: str | None,
    metrics: dict[str, Any],
    gate_info: dict[str, Any],
    note: str,
) -> ModelVersion:
    version = ModelVersion(
        id=registry.next_id(),
        created_at=iso(utcnow()) or "",
        status=status,
        parent=parent,
        fingerprint=fingerprint(examples),
        n_examples=len(examples),
        metrics=metrics,
        gate=gate_info,
        note=note,
    )
    staging = registry.root / f".staging-{version.id}"
    shutil.rmtree(staging, ignore_errors=True)
    model.save(staging)
    # In training order: row i is the example behind the model's example vector i.
    return registry.add(version, staging, to_csv(examples))


def retrain(
    registry: ModelRegistry,
    *,
    base: Sequence[Example],
    overlay: Sequence[Example] = (),
    traffic: Sequence[Example] = (),
    margins: GateMargins | None = None,
    note: str = "",
) -> RetrainOutcome:
    """Train a candidate on `base` + `overlay` (without the frozen rows) and gate it against the
    active version. An empty registry first gets a baseline (the base data alone) as active."""
    margins = margins or GateMargins()
    frozen = frozen_eval_set()
    eval_info = {"eval_set": FROZEN_EVAL_VERSION, "eval_fingerprint": fingerprint(frozen)}
    data = list(dict.fromkeys(without(base, frozen) + without(overlay, frozen)))
    with registry.locked():
        bootstrapped = None
        if registry.active_id() is None:
            rows = list(dict.fromkeys(without(base, frozen)))
            model = train_model(rows)
            bootstrapped = _register(
                registry,
                model,
                rows,
                status="active",
                parent=None,
                metrics=measure(model, frozen, traffic) | eval_info,
                gate_info={},
                note="baseline: the base examples without the frozen evaluation set",
            )
            log.info("nlu.registry.baseline", version=bootstrapped.id)
        active = registry.active()
        assert active is not None
        if fingerprint(data) == active.fingerprint:
            return RetrainOutcome(
                None,
                False,
                None,
                bootstrapped=bootstrapped,
                skipped=f"the training data is unchanged since {active.id} (fingerprint "
                f"{active.fingerprint[:12]}); nothing to train",
            )
        started = time.perf_counter()
        candidate = train_model(data)
        seconds = round(time.perf_counter() - started, 2)
        from hybridcx.nlu.classifier import IntentClassifier

        current = IntentClassifier.load(registry.path_of(active.id), embedder=learning_embedder())
        cand_metrics = measure(candidate, frozen, traffic) | eval_info
        active_metrics = measure(current, frozen, traffic) | eval_info
        verdict = gate(cand_metrics, active_metrics, margins, traffic_n=len(traffic))
        version = _register(
            registry,
            candidate,
            data,
            status="active" if verdict.promote else "refused",
            parent=active.id,
            metrics=cand_metrics | {"train_seconds": seconds},
            gate_info={"against": active.id, "margins": asdict(margins), **asdict(verdict)},
            note=note,
        )
    log.info("nlu.registry.gated", version=version.id, promoted=verdict.promote)
    return RetrainOutcome(version, verdict.promote, verdict, bootstrapped, train_seconds=seconds)


def rollback(registry: ModelRegistry, version_id: str | None = None) -> tuple[str, str]:
    """Make `version_id` (default: the previously active version) active again.
    Returns (from, to)."""
    from hybridcx.kit.errors import Conflict

    with registry.locked():
        current = registry.active_id()
        if current is None:
            raise Conflict(f"The registry in {registry.root} has no active model yet.")
        target = version_id or registry.previous_active()
        if target is None:
            raise Conflict(f"{current} is the only model that was ever active; nothing to restore.")
        if target == current:
            raise Conflict(f"{target} is already the active model.")
        if registry.get(target).status == "refused":
            raise Conflict(f"{target} was refused by the quality gate; it cannot be activated.")
        registry.activate(target, reason="rollback", rolled_back=current)
    log.info("nlu.registry.rollback", from_version=current, to_version=target)
    return current, target
