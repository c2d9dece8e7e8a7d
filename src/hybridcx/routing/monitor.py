"""Watching predictive routing fall back: a warning in the log when a workspace's decisions
start falling back for a reason (again at most every ``quiet_seconds``), and counts by
workspace and reason since the process started (the metric ``GET /api/v1/routing/status``
shows beside the counts it reads from the audit events)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

import structlog

# A model problem, as opposed to a service-level guard working as designed.
ALERTING = frozenset({"model_missing", "model_stale", "over_budget"})


class FallbackMonitor:
    """``record(workspace_id, reason)`` for every decision the baseline made instead."""

    def __init__(
        self, *, quiet_seconds: float = 600.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.quiet_seconds = quiet_seconds
        self.clock = clock
        self.counts: Counter[tuple[str | None, str]] = Counter()
        self._last_warned: dict[tuple[str | None, str], float] = {}
        self._lock = threading.Lock()

    def record(self, workspace_id: str | None, reason: str) -> None:
        key = (workspace_id, reason)
        now = self.clock()
        with self._lock:
            self.counts[key] += 1
            last = self._last_warned.get(key)
            warn = reason in ALERTING and (last is None or now - last >= self.quiet_seconds)
            if warn:
                self._last_warned[key] = now
            count = self.counts[key]
        if warn:
            # Looked up per warning (rare): a logger cached on first use would not see a
            # later logging configuration, such as structlog's capture in tests.
            structlog.get_logger(__name__).warning(
                "routing.fallback",
                workspace_id=workspace_id,
                reason=reason,
                fallbacks=count,
                advice="run `hybridcx routing train` or check HYBRIDCX_ROUTING_RETRAIN_HOURS",
            )

    def snapshot(self, workspace_id: str | None) -> dict[str, int]:
        with self._lock:
            return {r: n for (w, r), n in self.counts.items() if w == workspace_id}
