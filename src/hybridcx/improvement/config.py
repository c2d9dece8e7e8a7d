"""What the learning loop needs from the settings, built by the composition roots."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hybridcx.config import Settings
from hybridcx.improvement.registry import ModelRegistry
from hybridcx.improvement.retrain import GateMargins


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
    def from_settings(cls, settings: Settings) -> LearningConfig:
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
