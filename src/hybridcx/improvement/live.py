"""The intent model a running server answers with, following the registry's active pointer.

A promotion or a rollback (by any process: the CLI, the scheduled job, another worker) changes
`registry.json`; the next message after at most `check_seconds` is classified by the new active
version, without a restart. With an empty registry the server keeps its base model.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from hybridcx.brain import Brain, NluUnderstander, load_brain
from hybridcx.improvement.registry import ModelRegistry
from hybridcx.pipeline.steps.understand import Understanding

if TYPE_CHECKING:
    from hybridcx.nlu.classifier import IntentClassifier

log = structlog.get_logger(__name__)

BASE = "base"


@dataclass
class LiveModel:
    registry: ModelRegistry
    base: IntentClassifier
    base_data: Path | None
    check_seconds: float = 2.0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._checked = float("-inf")
        self.version = BASE
        self.classifier = self.base
        self.refresh(force=True)

    def _index_stamp(self) -> tuple[int, int] | None:
        try:
            st = self.registry.index_path.stat()
        except FileNotFoundError:
            return None
        return st.st_mtime_ns, st.st_size

    def refresh(self, *, force: bool = False) -> IntentClassifier:
        """The active classifier; re-reads the registry when its index changed."""
        now = time.monotonic()
        if not force and now - self._checked < self.check_seconds:
            return self.classifier
        with self._lock:
            self._checked = now
            stamp = self._index_stamp()
            if stamp == self._stamp and not force:
                return self.classifier
            self._stamp = stamp
            active = self.registry.active_id() if stamp else None
            if active is None:
                self.classifier, self.version = self.base, BASE
            elif active != self.version:
                self._load(active)
        return self.classifier

    def _load(self, version_id: str) -> None:
        from hybridcx.nlu.classifier import IntentClassifier

        try:
            model = IntentClassifier.load(self.registry.path_of(version_id))
        except Exception as exc:  # a broken version must not take the server down
            log.error("nlu.registry.load_failed", version=version_id, error=str(exc))
            return
        previous = self.version
        self.classifier, self.version = model, version_id
        log.info("nlu.model.switched", from_version=previous, to_version=version_id)

    def intents(self) -> list[str]:
        model = self.refresh()
        return [label for label in model.labels if label != model.config.oos_label]

    def training_labels(self) -> list[str] | None:
        """Labels of the active model's example vectors, in order, when they are known."""
        import csv

        from hybridcx.nlu.data import DEMO_INTENTS_PATH, load_examples

        model = self.refresh()
        if self.version == BASE:
            labels = [lbl for _, lbl in load_examples(self.base_data or DEMO_INTENTS_PATH)]
        else:
            path = self.registry.path_of(self.version) / "training_data.csv"
            with path.open(encoding="utf-8", newline="") as fh:
                rows = list(csv.DictReader(fh))
            labels = [row["label"] for row in rows]  # in training order, like the vectors
        return labels if len(labels) == len(model.example_vectors) else None


class RegistryUnderstander(NluUnderstander):
    """NluUnderstander over whatever model the registry says is active."""

    def __init__(self, live: LiveModel, *, phone_region: str = "US") -> None:
        super().__init__(live.refresh(), phone_region=phone_region)
        self.live = live

    def understand(self, text: str, *, now: datetime | None = None) -> Understanding:
        self.classifier = self.live.refresh()
        return super().understand(text, now=now)


def load_live_brain(
    model_dir: Path,
    *,
    registry_dir: Path,
    training_data: Path | None = None,
    check_seconds: float = 2.0,
) -> tuple[Brain, LiveModel]:
    """The base model (trained on first start, as before) behind the registry's active one."""
    brain = load_brain(model_dir, training_data=training_data)
    live = LiveModel(
        ModelRegistry(registry_dir),
        brain.understander.classifier,
        training_data,
        check_seconds=check_seconds,
    )
    return Brain(RegistryUnderstander(live), brain.sentiment), live
