"""What the learning loop needs from the settings, built by the composition roots.

The learning loop sits below the composition layer, so it names what it reads
(``LearningSettings``) instead of importing ``hybridcx.config``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from hybridcx.improvement.registry import ModelRegistry
from hybridcx.improvement.retrain import GateMargins


class LearningSettings(Protocol):
    """The HYBRIDCX_NLU_* settings of the learning loop (registry, retraining, promotion gate)."""

    @property
    def effective_nlu_registry_dir(self) -> Path: ...
    @property
    def nlu_training_data(self) -> Path | None: ...
    @property
    def nlu_gate_accuracy_margin(self) -> float: ...
    @property
    def nlu_gate_oos_recall_margin(self) -> float: ...
    @property
    def nlu_gate_ece_margin(self) -> float: ...
    @property
    def nlu_gate_min_traffic(self) -> int: ...
    @property
    def nlu_traffic_days(self) -> int: ...
    @property
    def nlu_retrain_interval_hours(self) -> float: ...
    @property
    def nlu_retrain_workspace(self) -> str | None: ...


@dataclass(frozen=True)
class LearningConfig:
    registry_dir: Path
    base_data: Path | None = None
    margins: GateMargins = field(default_factory=GateMargins)
    traffic_days: int = 30
    retrain_interval_hours: float = 0.0
    retrain_workspace: str | None = None

    @property
    def registry(self) -> ModelRegistry:
        return ModelRegistry(self.registry_dir)

    @classmethod
    def from_settings(cls, settings: LearningSettings) -> LearningConfig:
        return cls(
            registry_dir=settings.effective_nlu_registry_dir,
            base_data=settings.nlu_training_data,
            margins=GateMargins(
                accuracy=settings.nlu_gate_accuracy_margin,
                oos_recall=settings.nlu_gate_oos_recall_margin,
                ece=settings.nlu_gate_ece_margin,
                min_traffic=settings.nlu_gate_min_traffic,
            ),
            traffic_days=settings.nlu_traffic_days,
            retrain_interval_hours=settings.nlu_retrain_interval_hours,
            retrain_workspace=settings.nlu_retrain_workspace,
        )
