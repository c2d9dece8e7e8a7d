"""Load shedding for the customer turn: a bounded number of turns in flight per process, a
bounded wait for the rest, then a clean 503 with Retry-After.

Past capacity, letting every request in makes every customer wait longer (and on SQLite piles
up writers on one lock). With a gate in front, the turns in flight finish at the speed the
machine allows, a short queue absorbs bursts, and the overflow is told at once to come back.
A request turned away here never reached the endpoint, so nothing of it was stored: the client
retries with the same Idempotency-Key and the message is stored once.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections import deque
from typing import Any

import structlog
from starlette.responses import JSONResponse

log = structlog.get_logger(__name__)

# Starting a conversation and a customer message: the two requests that run an AI turn.
GATED_PATHS = re.compile(r"^/api/v1/conversations(/[^/]+/messages)?/?$")
MIN_RETRY_AFTER = 1
MAX_RETRY_AFTER = 30


class InflightGate:
    """At most ``limit`` holders at once; up to ``queue_size`` more wait in arrival order, each
    for at most ``wait_seconds``. ``limit`` 0 turns the gate off."""

    def __init__(self, *, limit: int, queue_size: int, wait_seconds: float) -> None:
        self.limit = limit
        self.queue_size = queue_size
        self.wait_seconds = wait_seconds
        self.in_flight = 0
        self.turned_away = 0  # since start: what an operator (or a test) reads to see shedding
        self.hold_seconds = 0.0  # how long a slot is held, smoothed over the recent ones
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def acquire(self) -> bool:
        """True when the caller holds a slot (and must ``release`` it); False when shed."""
        if self.in_flight < self.limit and not self._waiters:
            self.in_flight += 1
            return True
        if len(self._waiters) >= self.queue_size or self.wait_seconds <= 0:
            self.turned_away += 1
            return False
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await asyncio.wait_for(asyncio.shield(waiter), self.wait_seconds)
        except TimeoutError:
            if waiter.done():  # handed a slot just as the wait ran out: keep it
                return True
            self._waiters.remove(waiter)
            waiter.cancel()
            self.turned_away += 1
            return False
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # the slot handed over is given on, not leaked
            elif waiter in self._waiters:
                self._waiters.remove(waiter)
            raise
        return True

    def record_hold(self, seconds: float) -> None:
        weight = 0.2 if self.hold_seconds else 1.0
        self.hold_seconds += weight * (seconds - self.hold_seconds)

    def retry_after(self) -> int:
        """Whole seconds until the requests waiting now are likely through (1 to 30): a client
        turned away comes back when there is room, not into the same crowd a second later."""
        drain = (self.waiting + 1) * self.hold_seconds / max(self.limit, 1)
        return max(MIN_RETRY_AFTER, min(MAX_RETRY_AFTER, math.ceil(drain)))

    def release(self) -> None:
        """Hand the slot to the longest waiter, or free it."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # in_flight stays: the slot changes hands
                return
        self.in_flight -= 1


class InflightLimit:
    """ASGI middleware: POSTs that start a conversation or send a customer message pass the
    gate; everything else goes straight through."""

    def __init__(self, app: Any, *, gate: InflightGate) -> None:
        self.app = app
        self.gate = gate
        self._shed_since_log = 0
        self._last_log = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if not (
            self.gate.enabled
            and scope["type"] == "http"
            and scope.get("method") == "POST"
            and GATED_PATHS.match(scope.get("path", ""))
        ):
            await self.app(scope, receive, send)
            return
        if not await self.gate.acquire():
            self._note_shed()
            await _busy_response(self.gate)(scope, receive, send)
            return
        started = time.monotonic()
        try:
            await self.app(scope, receive, send)
        finally:
            self.gate.record_hold(time.monotonic() - started)
            self.gate.release()

    def _note_shed(self) -> None:
        """One log line a second at most while shedding, with how many were turned away."""
        self._shed_since_log += 1
        now = time.monotonic()
        if now - self._last_log >= 1.0:
            log.warning(
                "overload.shed",
                turned_away=self._shed_since_log,
                in_flight=self.gate.in_flight,
                waiting=self.gate.waiting,
                limit=self.gate.limit,
            )
            self._shed_since_log = 0
            self._last_log = now


def _busy_response(gate: InflightGate) -> JSONResponse:
    seconds = gate.retry_after()
    return JSONResponse(
        {
            "detail": f"The server is busy ({gate.limit} conversations are being answered and "
            f"{gate.waiting} are waiting). Nothing you sent was stored. Retry in {seconds} s "
            "with the same Idempotency-Key.",
            "code": "overloaded",
            "retry_after": seconds,
        },
        status_code=503,
        headers={"Retry-After": str(seconds)},
    )
