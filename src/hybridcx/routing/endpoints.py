"""``GET /api/v1/routing/status``: is predictive routing deciding, or falling back and why.

For supervisors (analytics readers): the workspace's outcome model (version, age, stale or
not), the retrain schedule, the fallbacks of the last 24 hours by reason (from the
``assignment.decided`` audit events, so every server process counts), this process's counts
since it started, and, while predictive routing is in use (the server's strategy, or an
experiment arm's), an ``alert`` sentence when the model is missing or stale, or decisions fell
back for a model problem since it was trained."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from fastapi import APIRouter

from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import AnalyticsReader
from hybridcx.kit.ids import utcnow
from hybridcx.routing.monitor import ALERTING
from hybridcx.routing.repository import assignment_decisions
from hybridcx.routing.store import FileModelStore

router = APIRouter(prefix="/api/v1/routing", tags=["routing"])

WINDOW = timedelta(hours=24)


@router.get("/status")
async def routing_status(staff: AnalyticsReader, runtime: RuntimeDep) -> dict[str, Any]:
    settings = runtime.settings
    now = utcnow()
    model = FileModelStore(settings.effective_routing_model_dir).get(staff.workspace_id)
    max_age = timedelta(hours=settings.routing_model_max_age_hours)
    async with runtime.sessions() as session:
        decided = await assignment_decisions(session, staff.workspace_id, now - WINDOW)
    fallbacks = Counter(str(d["fallback_reason"]) for _, d in decided if d.get("fallback_reason"))
    # what the current model is answerable for: the fallbacks since it was trained
    since_model = Counter(
        str(d["fallback_reason"])
        for at, d in decided
        if d.get("fallback_reason") and (model is None or at >= model.trained_at)
    )
    age = now - model.trained_at if model is not None else None
    stale = age is not None and age > max_age
    # in use: the server's strategy, or an experiment arm's (it made decisions)
    in_use = settings.assignment_strategy == "predictive" or bool(decided)
    alert = _alert(model is None, stale, age, since_model) if in_use else None
    return {
        "strategy": settings.assignment_strategy,
        "in_use": in_use,
        "model": None
        if model is None
        else {**model.summary(), "age_hours": round(age.total_seconds() / 3600, 1) if age else 0},
        "stale": stale,
        "max_age_hours": settings.routing_model_max_age_hours,
        # the schedule runs with the predictive strategy only (app.py)
        "retrain_every_hours": (
            settings.routing_retrain_hours or None
            if settings.assignment_strategy == "predictive"
            else None
        ),
        "decisions_24h": len(decided),
        "fallbacks_24h": dict(sorted(fallbacks.items())),
        "fallbacks_since_start": runtime.routing_monitor.snapshot(staff.workspace_id),
        "alert": alert,
    }


def _alert(
    missing: bool, stale: bool, age: timedelta | None, fallbacks: Counter[str]
) -> str | None:
    if missing:
        return (
            "No routing model: predictive routing falls back to the baseline. "
            "Run `hybridcx routing train`."
        )
    if stale and age is not None:
        return (
            f"The routing model is {age.days} days old (stale): predictive routing falls back "
            "to the baseline until it is retrained."
        )
    problems = {r: n for r, n in fallbacks.items() if r in ALERTING}
    if problems:
        listed = ", ".join(f"{r} ({n})" for r, n in sorted(problems.items()))
        return f"Predictive routing fell back since its model was trained: {listed}."
    return None
