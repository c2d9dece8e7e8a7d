"""Failures of the company's systems: one error type the flows understand, and a circuit
breaker so a system that is down is not waited on turn after turn.

A connector raises :class:`BackendUnavailable` (or :class:`NotSupported`) instead of letting a
network error escape; the flow step turns it into an honest message and a handoff, so the
customer always gets an answer (``hybridcx.pipeline.steps.flow``)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import structlog

from hybridcx.flows.backend import BackendUnavailable, NotSupported

__all__ = ["BackendUnavailable", "CircuitBreaker", "NotSupported", "unavailable_from"]
log = structlog.get_logger(__name__)
T = TypeVar("T")


@dataclass
class CircuitBreaker:
    """Closed: calls go through. After ``threshold`` failures in a row it opens for
    ``reset_seconds``: calls fail at once. Then one trial call (half-open) closes or reopens it.
    ``clock`` is monotonic seconds (tests pass their own)."""

    threshold: int = 3
    reset_seconds: float = 30.0
    clock: Callable[[], float] = time.monotonic
    failures: int = 0
    opened_at: float | None = None
    _trial: bool = field(default=False, repr=False)

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        if self.clock() - self.opened_at >= self.reset_seconds:
            return "half_open"
        return "open"

    def allow(self) -> bool:
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self._trial:
            self._trial = True  # one caller tries; the others still fail fast
            return True
        return False

    def success(self) -> None:
        self.failures = 0
        self.opened_at = None
        self._trial = False

    def failure(self) -> None:
        self.failures += 1
        self._trial = False
        if self.opened_at is not None or self.failures >= self.threshold:
            self.opened_at = self.clock()

    async def call(self, connector: str, fn: Callable[[], Awaitable[T]]) -> T:
        if not self.allow():
            raise BackendUnavailable(connector, "circuit open after repeated failures")
        try:
            result = await fn()
        except NotSupported:
            self.success()  # the system answered; the mapping just lacks the operation
            raise
        except BackendUnavailable as exc:
            self.failure()
            log.warning(
                "integration.failure",
                connector=connector,
                detail=exc.detail,
                failures=self.failures,
                circuit=self.state,
            )
            raise
        self.success()
        return result


def describe_http_error(exc: BaseException) -> str:
    """A short, secret-free description of a transport error (never the request headers)."""
    name = type(exc).__name__
    return {
        "ConnectTimeout": "timed out connecting",
        "ReadTimeout": "timed out waiting for the answer",
        "WriteTimeout": "timed out sending the request",
        "PoolTimeout": "timed out waiting for a connection",
        "ConnectError": "could not connect",
        "RemoteProtocolError": "the connection broke",
        "ReadError": "the connection broke",
    }.get(name, name)


def status_error(status: int) -> str:
    return f"answered HTTP {status}"


def unavailable_from(connector: str, exc: BaseException) -> BackendUnavailable:
    return BackendUnavailable(connector, describe_http_error(exc))
