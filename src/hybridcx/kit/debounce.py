"""Run a piece of background work once per key after a quiet moment."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)


class Debouncer:
    """``schedule(key, work)`` runs ``work()`` ``delay`` seconds later, once for any number of
    calls with that key in between (the work reads the latest state when it runs). Failures are
    logged, never raised: this is for work nobody waits on."""

    def __init__(self, delay: float = 0.25) -> None:
        self.delay = delay
        self._waiting: dict[str, asyncio.Task[None]] = {}

    def schedule(self, key: str, work: Callable[[], Awaitable[None]]) -> None:
        if key in self._waiting:
            return
        self._waiting[key] = asyncio.get_running_loop().create_task(self._run(key, work))

    async def _run(self, key: str, work: Callable[[], Awaitable[None]]) -> None:
        try:
            await asyncio.sleep(self.delay)
        finally:
            # Calls from here on schedule a fresh run: they may carry news this one misses.
            self._waiting.pop(key, None)
        try:
            await work()
        except Exception as exc:
            log.warning("debounced.failed", key=key, error=str(exc))

    async def drain(self) -> None:
        """Wait for the scheduled work (tests, shutdown)."""
        while self._waiting:
            await asyncio.gather(*list(self._waiting.values()), return_exceptions=True)

    def cancel(self) -> None:
        for task in self._waiting.values():
            task.cancel()
        self._waiting.clear()
