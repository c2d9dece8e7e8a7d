"""The background loop (started in the server's lifespan) that enqueues and sends webhooks."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx
import structlog

from hybridcx.kit.tasks import reraise_if_cancelled
from hybridcx.webhooks.service import RetryPolicy, deliver_due, enqueue_new

log = structlog.get_logger(__name__)


class WebhookWorker:
    def __init__(self, runtime: Any, policy: RetryPolicy, *, poll_seconds: float) -> None:
        self.runtime = runtime
        self.policy = policy
        self.poll_seconds = poll_seconds
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(cls, runtime: Any, settings: Any) -> WebhookWorker:
        policy = RetryPolicy(
            max_attempts=settings.webhook_max_attempts,
            base_seconds=settings.webhook_retry_base_seconds,
            max_seconds=settings.webhook_retry_max_seconds,
            timeout_seconds=settings.webhook_timeout_seconds,
        )
        return cls(runtime, policy, poll_seconds=settings.webhook_poll_seconds)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def run_once(self, client: httpx.AsyncClient) -> int:
        await enqueue_new(self.runtime.sessions)
        return await deliver_due(self.runtime.sessions, client, self.policy)

    async def _run(self) -> None:
        async with httpx.AsyncClient(follow_redirects=False) as client:
            while True:
                try:
                    await self.run_once(client)
                except Exception as exc:  # a bad round must not end the loop
                    reraise_if_cancelled(exc)
                    log.warning("webhooks.round_failed", error=str(exc))
                await asyncio.sleep(self.poll_seconds)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
