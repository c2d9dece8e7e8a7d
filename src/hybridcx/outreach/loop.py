"""The outreach loop: every active campaign evaluated every ``interval`` seconds (0: off), and
the event-driven signals (outreach.events) every ``events_interval`` seconds (0: off)."""

from __future__ import annotations

import asyncio

import structlog

from hybridcx.kit.tasks import reraise_if_cancelled
from hybridcx.outreach.deps import OutreachDeps
from hybridcx.outreach.events import process_events
from hybridcx.outreach.service import run_all

log = structlog.get_logger(__name__)


async def outreach_loop(rt: OutreachDeps, interval: float, events_interval: float = 0.0) -> None:
    tick = min(i for i in (interval, events_interval) if i > 0)
    clock = asyncio.get_running_loop()
    next_run = clock.time() + interval
    while True:
        await asyncio.sleep(tick)
        if events_interval > 0:
            try:
                await process_events(rt)
            except Exception as exc:  # retried at the next tick (the cursor did not move)
                reraise_if_cancelled(exc)
                log.warning("outreach.events_failed", error=str(exc))
        if interval > 0 and clock.time() >= next_run:
            next_run = clock.time() + interval
            try:
                await run_all(rt)
            except Exception as exc:  # a failed run is retried at the next tick
                reraise_if_cancelled(exc)
                log.warning("outreach.loop_failed", error=str(exc))
