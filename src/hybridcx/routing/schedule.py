"""Keeping the predictive routing model fresh: retrain each workspace's outcome model once it is
older than HYBRIDCX_ROUTING_RETRAIN_HOURS (the server runs this), so it never ages into the
strategy's maximum age and silently hands every decision to the baseline."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hybridcx.kit.ids import utcnow
from hybridcx.kit.tasks import reraise_if_cancelled
from hybridcx.models import Workspace
from hybridcx.routing.store import FileModelStore
from hybridcx.routing.training import train_workspace

log = structlog.get_logger(__name__)


async def retrain_due(
    sessions: async_sessionmaker[AsyncSession],
    store: FileModelStore,
    *,
    now: datetime,
    every: timedelta,
    days: float = 90.0,
    prior_strength: float = 5.0,
    teams_for: Callable[[str], Mapping[str, str]] | None = None,
) -> list[dict[str, Any]]:
    """Retrain every workspace whose model is missing or at least ``every`` old. Returns one
    entry per workspace tried: ``retrained`` with the new version, or ``skipped`` and why.
    ``teams_for``: a workspace slug's ``intent_skills`` (its policy)."""
    async with sessions() as session:
        workspaces = list((await session.execute(select(Workspace.id, Workspace.slug))).all())
    done: list[dict[str, Any]] = []
    for workspace_id, slug in workspaces:
        current = store.get(workspace_id)
        if current is not None and now - current.trained_at < every:
            continue
        try:
            async with sessions() as session:
                model = await train_workspace(
                    session,
                    workspace_id,
                    now=now,
                    days=days,
                    prior_strength=prior_strength,
                    teams=teams_for(slug) if teams_for else None,
                )
        except ValueError as exc:  # nothing to learn from yet
            log.warning("routing.retrain_skipped", workspace=slug, reason=str(exc))
            done.append({"workspace": slug, "status": "skipped", "reason": str(exc)})
            continue
        store.save(workspace_id, model)
        log.info("routing.model_retrained", workspace=slug, version=model.version)
        done.append({"workspace": slug, "status": "retrained", "version": model.version})
    return done


async def retrain_loop(runtime: Any, every_hours: float) -> None:
    """Check hourly (or every ``every_hours`` when shorter) and retrain what is due."""
    settings = runtime.settings
    store = FileModelStore(settings.effective_routing_model_dir)
    every = timedelta(hours=every_hours)
    while True:
        await asyncio.sleep(min(every.total_seconds(), 3600.0))
        try:
            await retrain_due(
                runtime.sessions,
                store,
                now=utcnow(),
                every=every,
                teams_for=lambda slug: runtime.policies.policy(slug).intent_skills,
            )
        except Exception as exc:  # the next check may succeed; the server keeps routing
            reraise_if_cancelled(exc)
            log.warning("routing.retrain_failed", error=str(exc))
