"""The outreach schedule: every active campaign evaluated every ``interval`` seconds."""

from __future__ import annotations

import asyncio

import structlog

from hybridcx.kit.tasks import reraise_if_cancelled
from hybridcx.outreach.service import run_all
from hybridcx.runtime import Runtime

log = structlog.get_logger(__name__)


async def outreach_loop(rt: Runtime, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await run_all(rt)
        except Exception as exc:  # a failed run is retried at the next tick
            reraise_if_cancelled(exc)
            log.warning("outreach.loop_failed", error=str(exc))
