"""What the learning loop reads (kit/deps.py explains the ports)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from hybridcx.kit.deps import HasListeners, HasSessions
from hybridcx.workspaces.deps import HasPolicies

if TYPE_CHECKING:
    from hybridcx.improvement.config import LearningConfig
    from hybridcx.improvement.live import LiveModel


class LearningDeps(HasSessions, HasListeners, HasPolicies, Protocol):
    """Training examples, retraining and the model registry: the loop's settings and the model
    the server answers with (None when the NLU is off)."""

    @property
    def learning(self) -> LearningConfig: ...

    @property
    def live_model(self) -> LiveModel | None: ...
