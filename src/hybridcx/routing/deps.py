"""What the routing status reads (kit/deps.py explains the ports)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from hybridcx.kit.deps import HasSessions

if TYPE_CHECKING:
    from hybridcx.routing.monitor import FallbackMonitor


class RoutingSettings(Protocol):
    @property
    def effective_routing_model_dir(self) -> Path: ...

    @property
    def routing_model_max_age_hours(self) -> float: ...

    @property
    def routing_retrain_hours(self) -> float: ...

    @property
    def assignment_strategy(self) -> str: ...


class RoutingStatusDeps(HasSessions, Protocol):
    @property
    def settings(self) -> RoutingSettings: ...

    @property
    def routing_monitor(self) -> FallbackMonitor: ...
