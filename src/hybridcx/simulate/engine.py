"""A small discrete-event core: a heap of (virtual time, sequence) events whose handlers may
be coroutines, so the simulation can await the real async pipeline inside one asyncio run.

Why not SimPy: its processes are generators that cannot ``await``; the AI turn pipeline is
async (flows call the company backend), so every SimPy process would need a bridge into an
event loop. Forty lines of heapq give the same semantics (virtual time, deterministic order of
simultaneous events by scheduling sequence) with no new dependency."""

from __future__ import annotations

import heapq
import inspect
import itertools
from collections.abc import Callable
from typing import Any


class EventLoop:
    def __init__(self) -> None:
        self.now = 0.0
        self._heap: list[tuple[float, int, Callable[..., Any], tuple[Any, ...]]] = []
        self._seq = itertools.count()
        self.processed = 0

    def at(self, when: float, handler: Callable[..., Any], *args: Any) -> None:
        """Run ``handler(*args)`` at virtual time ``when`` (never in the past)."""
        heapq.heappush(self._heap, (max(when, self.now), next(self._seq), handler, args))

    def after(self, delay: float, handler: Callable[..., Any], *args: Any) -> None:
        self.at(self.now + max(0.0, delay), handler, *args)

    def __len__(self) -> int:
        return len(self._heap)

    async def run(self) -> None:
        """Process events in time order until none is left."""
        while self._heap:
            when, _, handler, args = heapq.heappop(self._heap)
            self.now = when
            outcome = handler(*args)
            if inspect.isawaitable(outcome):
                await outcome
            self.processed += 1
