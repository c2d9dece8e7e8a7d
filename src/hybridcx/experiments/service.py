"""Experiments: create, read, stop, and evaluate (metrics per arm, tests, guardrails, rollout).

``evaluate`` is what keeps experiments safe: it computes each arm's metrics from the event log,
checks every guardrail with the sequential test, stops an A/B experiment or rolls a rollout back
(treatment share 0) when one breaks, and steps a healthy rollout up its schedule. It runs on a
timer in the server (``HYBRIDCX_EXPERIMENTS_CHECK_SECONDS``), whenever the console or the API
reads an experiment, and from ``hybridcx experiments check``."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.analytics.config import AnalyticsConfig
from hybridcx.analytics.facts import KPI_EVENT_TYPES, EventRow
from hybridcx.experiments.metrics import METRICS, arm_metrics, compare, guardrail_check
from hybridcx.experiments.spec import ExperimentCreate
from hybridcx.kit.errors import Conflict, InvalidInput, NotFound
from hybridcx.kit.ids import utcnow
from hybridcx.kit.tasks import reraise_if_cancelled
from hybridcx.kit.time import iso
from hybridcx.models import ConversationEvent, Experiment, ExperimentAssignment

log = structlog.get_logger(__name__)
NOT_FOUND = "Experiment not found."
CHUNK = 500


async def create(
    session: AsyncSession, workspace_id: str, body: ExperimentCreate, *, created_by: str | None
) -> Experiment:
    now = utcnow()
    rollout = None
    if body.kind == "rollout" and body.rollout is not None:
        rollout = {**body.rollout.model_dump(), "step": 0, "step_started_at": iso(now)}
    exp = Experiment(
        workspace_id=workspace_id,
        name=body.name,
        description=body.description,
        kind=body.kind,
        status="running",
        arms=body.arm_list(),
        guardrails=[g.to_rule() for g in body.guardrails],
        rollout=rollout,
        primary_metric=body.primary_metric,
        alpha=body.alpha,
        min_samples=body.min_samples,
        started_at=now,
        created_by=created_by,
        created_at=now,
    )
    session.add(exp)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"An experiment named {body.name!r} already exists.") from exc
    return exp


async def get(
    session: AsyncSession, workspace_id: str, experiment_id: str, *, lock: bool = False
) -> Experiment:
    """``lock``: hold the row for this transaction, so two evaluations (the timer of another
    process, a supervisor's read) cannot both step a rollout up."""
    stmt = select(Experiment).where(
        Experiment.id == experiment_id, Experiment.workspace_id == workspace_id
    )
    if lock:
        stmt = stmt.with_for_update()
    exp = (await session.execute(stmt)).scalar_one_or_none()
    if exp is None:
        raise NotFound(NOT_FOUND)
    return exp


async def by_name_or_id(session: AsyncSession, workspace_id: str, key: str) -> Experiment:
    stmt = select(Experiment).where(
        Experiment.workspace_id == workspace_id,
        (Experiment.id == key) | (Experiment.name == key),
    )
    exp = (await session.execute(stmt)).scalars().first()
    if exp is None:
        raise NotFound(NOT_FOUND)
    return exp


async def list_all(session: AsyncSession, workspace_id: str) -> list[Experiment]:
    stmt = (
        select(Experiment)
        .where(Experiment.workspace_id == workspace_id)
        .order_by(Experiment.created_at.desc(), Experiment.id)
    )
    return list((await session.execute(stmt)).scalars().all())


def stop(exp: Experiment, *, reason: str, status: str = "stopped") -> None:
    if exp.status != "running":
        raise Conflict(f"The experiment is already {exp.status}.")
    exp.status = status
    exp.ended_at = utcnow()
    exp.stop_reason = reason[:500]
    if status == "rolled_back":
        _set_treatment_share(exp, 0.0)


def _set_treatment_share(exp: Experiment, share: float) -> None:
    exp.arms = [
        {**a, "share": share if a["name"] == "treatment" else round(1.0 - share, 6)}
        for a in exp.arms
    ]


def treatment_share(exp: Experiment) -> float | None:
    if exp.kind != "rollout":
        return None
    return next((float(a["share"]) for a in exp.arms if a["name"] == "treatment"), 0.0)


# ---- evaluation ----------------------------------------------------------------------------


async def _experiment_events(
    session: AsyncSession, exp: Experiment
) -> tuple[dict[str, str], list[EventRow]]:
    stmt = select(ExperimentAssignment.conversation_id, ExperimentAssignment.arm).where(
        ExperimentAssignment.experiment_id == exp.id
    )
    arm_of = {cid: arm for cid, arm in (await session.execute(stmt)).all()}
    ids = sorted(arm_of)
    e = ConversationEvent
    rows: list[tuple[int, EventRow]] = []
    for i in range(0, len(ids), CHUNK):
        q = select(
            e.seq, e.conversation_id, e.type, e.created_at, e.actor, e.actor_id, e.data
        ).where(
            e.workspace_id == exp.workspace_id,
            e.conversation_id.in_(ids[i : i + CHUNK]),
            e.type.in_(list(KPI_EVENT_TYPES)),
        )
        for seq, cid, typ, at, actor, actor_id, data in (await session.execute(q)).all():
            rows.append((seq, EventRow(cid, typ, at, actor, actor_id, data or {})))
    rows.sort(key=lambda r: r[0])
    return arm_of, [r for _, r in rows]


def control_arm(exp: Experiment) -> str:
    names = [a["name"] for a in exp.arms]
    return "control" if "control" in names else names[0]


def assess(
    exp: Experiment,
    arm_of: dict[str, str],
    events: list[EventRow],
    *,
    now: datetime,
    config: AnalyticsConfig | None = None,
) -> dict[str, Any]:
    """Metrics per arm, treatment-vs-control tests and guardrails (pure: no writes)."""
    names = [a["name"] for a in exp.arms]
    metrics = arm_metrics(
        events, arm_of, arms=names, start=exp.started_at or exp.created_at, now=now, config=config
    )
    control = control_arm(exp)
    comparisons: dict[str, dict[str, Any]] = {}
    guardrails: list[dict[str, Any]] = []
    for arm in names:
        if arm == control:
            continue
        comparisons[arm] = {
            m: compare(m, metrics[control], metrics[arm], alpha=exp.alpha).to_dict()
            for m in METRICS
        }
        for rule in exp.guardrails:
            check = guardrail_check(
                rule, metrics[control], metrics[arm], alpha=exp.alpha, min_samples=exp.min_samples
            )
            guardrails.append({"arm": arm, **check})
    return {
        "evaluated_at": iso(now),
        "control": control,
        "arms": {
            a: {"conversations": m["conversations"], "metrics": m["summary"]}
            for a, m in metrics.items()
        },
        "comparisons": comparisons,
        "guardrails": guardrails,
        "breached": [g for g in guardrails if g["breached"]],
    }


def apply(exp: Experiment, result: dict[str, Any], *, now: datetime) -> str | None:
    """Act on an assessment: stop / roll back on a breach, step a healthy rollout up.

    Returns what was done ("stopped", "rolled_back", "advanced") or None."""
    exp.evaluation, exp.evaluated_at = result, now
    if exp.status != "running":
        return None
    if result["breached"]:
        g = result["breached"][0]
        reason = (
            f"guardrail {g['metric']}: {g['arm']} {g['direction']} of "
            f"{abs(g['difference']):.4g} beyond {g['bound']:.4g} (sequential p={g['p_value']:.3g})"
        )
        stop(exp, reason=reason, status="rolled_back" if exp.kind == "rollout" else "stopped")
        return exp.status
    if exp.kind == "rollout" and exp.rollout:
        return _maybe_advance(exp, result, now=now)
    return None


def _maybe_advance(exp: Experiment, result: dict[str, Any], *, now: datetime) -> str | None:
    plan = dict(exp.rollout or {})
    steps: list[float] = plan["steps"]
    step = int(plan.get("step", 0))
    if step >= len(steps) - 1:
        return None
    started = datetime.fromisoformat(str(plan["step_started_at"]).removesuffix("Z"))
    treated = result["arms"].get("treatment", {}).get("conversations", 0)
    seen_at_start = int(plan.get("treatment_at_step_start", 0))
    waiting_on = [g for g in result["guardrails"] if g.get("status") == "collecting"]
    if (
        treated - seen_at_start < plan["min_samples_per_step"]
        or now - started < timedelta(minutes=plan["min_minutes_per_step"])
        or waiting_on
    ):
        return None
    step += 1
    plan.update(step=step, step_started_at=iso(now), treatment_at_step_start=treated)
    exp.rollout = plan
    _set_treatment_share(exp, steps[step])
    return "advanced"


async def evaluate(
    session: AsyncSession, exp: Experiment, *, config: AnalyticsConfig | None = None
) -> str | None:
    now = utcnow()
    arm_of, events = await _experiment_events(session, exp)
    result = assess(exp, arm_of, events, now=now, config=config)
    action = apply(exp, result, now=now)
    if action:
        log.warning(
            "experiment." + action,
            experiment_id=exp.id,
            name=exp.name,
            reason=exp.stop_reason,
            share=treatment_share(exp),
        )
    return action


async def arm_kpis(session: AsyncSession, exp: Experiment, arm: str) -> dict[str, Any]:
    """The full analytics KPI report of one arm's conversations."""
    names = [a["name"] for a in exp.arms]
    if arm not in names:
        raise NotFound(f"No arm {arm!r}: the arms are {', '.join(names)}.")
    arm_of, events = await _experiment_events(session, exp)
    now = utcnow()
    metrics = arm_metrics(
        events, arm_of, arms=[arm], start=exp.started_at or exp.created_at, now=now
    )
    return {"experiment_id": exp.id, "arm": arm, **metrics[arm]["kpis"]}


async def check_all(sessions: Any, workspace_id: str | None = None) -> list[tuple[str, str]]:
    """Evaluate every running experiment (of a workspace, or all); what was done to which."""
    from hybridcx.kit.db import transaction

    done: list[tuple[str, str]] = []
    async with transaction(sessions) as session:
        stmt = select(Experiment.id).where(Experiment.status == "running")
        if workspace_id is not None:
            stmt = stmt.where(Experiment.workspace_id == workspace_id)
        ids = list((await session.execute(stmt)).scalars().all())
    for eid in ids:
        async with transaction(sessions) as session:
            exp = (
                await session.execute(
                    select(Experiment).where(Experiment.id == eid).with_for_update()
                )
            ).scalar_one_or_none()
            if exp is None or exp.status != "running":
                continue
            action = await evaluate(session, exp)
            if action:
                done.append((exp.name, action))
    return done


async def watch(sessions: Any, every_seconds: float) -> None:
    """The server's guardrail and rollout timer."""
    while True:
        await asyncio.sleep(every_seconds)
        try:
            await check_all(sessions)
        except Exception as exc:  # one bad pass must not end the timer
            reraise_if_cancelled(exc)
            log.error("experiments.check_failed", error=str(exc))


def experiment_read(exp: Experiment) -> dict[str, Any]:
    return {
        "id": exp.id,
        "name": exp.name,
        "description": exp.description,
        "kind": exp.kind,
        "status": exp.status,
        "arms": exp.arms,
        "treatment_share": treatment_share(exp),
        "rollout": exp.rollout,
        "guardrails": exp.guardrails,
        "primary_metric": exp.primary_metric,
        "alpha": exp.alpha,
        "min_samples": exp.min_samples,
        "created_at": iso(exp.created_at),
        "started_at": iso(exp.started_at) if exp.started_at else None,
        "ended_at": iso(exp.ended_at) if exp.ended_at else None,
        "stop_reason": exp.stop_reason,
        "evaluation": exp.evaluation,
        "evaluated_at": iso(exp.evaluated_at) if exp.evaluated_at else None,
    }


def check_stop_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise InvalidInput("Say why the experiment is stopped.")
    return reason
