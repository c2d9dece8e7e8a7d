"""The server's scheduled privacy job as an asyncio task (one per server process; erasures
lock their request row and retention works in idempotent batches, so processes may overlap)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from hybridcx.privacy.retention import retention_loop

if TYPE_CHECKING:
    from hybridcx.privacy.deps import PrivacyJobDeps


def start_privacy_job(rt: PrivacyJobDeps) -> asyncio.Task[None] | None:
    if rt.retention_interval_seconds <= 0:
        return None
    return asyncio.create_task(retention_loop(rt, rt.retention_interval_seconds))


async def stop_privacy_job(task: asyncio.Task[None] | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
