"""The scheduled retrain: a background task of the server, off unless
HYBRIDCX_NLU_RETRAIN_INTERVAL_HOURS is above 0."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import structlog

from hybridcx.improvement.deps import LearningDeps

log = structlog.get_logger(__name__)


async def retrain_periodically(runtime: LearningDeps, interval_seconds: float) -> None:
    from hybridcx.improvement.service import ImprovementService

    while True:
        await asyncio.sleep(interval_seconds)
        try:
            result = await ImprovementService(runtime).retrain()
            log.info(
                "nlu.retrain.scheduled",
                promoted=result["promoted"],
                skipped=result["skipped"],
                version=(result["version"] or {}).get("id"),
            )
        except Exception as exc:  # the next run may succeed; the server must keep serving
            log.error("nlu.retrain.failed", error=str(exc), exc_info=True)


@contextlib.asynccontextmanager
async def retrain_schedule(runtime: LearningDeps) -> AsyncIterator[None]:
    """Runs the retrain loop for the lifetime of the app when an interval is configured."""
    hours = runtime.learning.retrain_interval_hours if runtime.learning else 0
    if not hours or runtime.live_model is None:
        yield
        return
    task = asyncio.create_task(retrain_periodically(runtime, hours * 3600))
    log.info("nlu.retrain.scheduled_every", hours=hours)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
