"""Keep every workspace's KPI rollup caught up outside requests (the server runs this)."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog

from hybridcx.analytics import rollup
from hybridcx.analytics.config import config_path, load_analytics_config
from hybridcx.kit.errors import AppError
from hybridcx.kit.ids import utcnow
from hybridcx.kit.tasks import reraise_if_cancelled

log = structlog.get_logger(__name__)


def meta_intents_loader(policy_dir: Any) -> Any:
    """``meta_intents_for(session, workspace)`` from each workspace's analytics configuration."""

    async def meta_intents_for(session: Any, workspace: Any) -> list[str]:
        try:
            return load_analytics_config(config_path(policy_dir, workspace.slug)).meta_intents
        except AppError:  # a broken file: the report says so; the rollup keeps the defaults
            return load_analytics_config(None).meta_intents

    return meta_intents_for


async def rollup_loop(runtime: Any, interval_seconds: float) -> None:
    """Every ``interval_seconds``, replay new events into every workspace's facts."""
    meta_for = meta_intents_loader(runtime.policies.policy_dir)
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            done = await rollup.catch_up_all(
                runtime.sessions, meta_intents_for=meta_for, now=utcnow()
            )
            log.debug("analytics.rollup_caught_up", workspaces=len(done))
        except Exception as exc:  # never let analytics take the server down
            reraise_if_cancelled(exc)
            log.warning("analytics.rollup_failed", error=str(exc))
