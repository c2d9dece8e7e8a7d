"""What /readyz and /metrics read (kit/deps.py explains the ports)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from hybridcx.kit.deps import HasEngine, HasSessions

if TYPE_CHECKING:
    from hybridcx.improvement.live import LiveModel


class OpsSettings(Protocol):
    @property
    def nlu_enabled(self) -> bool: ...

    @property
    def readiness_timeout_seconds(self) -> float: ...

    @property
    def metrics_token(self) -> str | None: ...


class OpsDeps(HasSessions, HasEngine, Protocol):
    """The checks (database, Redis, the live model) and the scrape-time gauges."""

    @property
    def settings(self) -> OpsSettings: ...

    @property
    def redis_url(self) -> str | None: ...

    @property
    def live_model(self) -> LiveModel | None: ...
