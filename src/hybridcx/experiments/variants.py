"""What an experiment changes for one conversation: its arm's policy for the AI turn, and its
arm's assignment strategy for dispatch. The arm is fixed at the conversation's first turn while
the experiment runs (``experiment_assignments`` and an ``experiment.assigned`` event, so KPIs can
be cut by arm); once the experiment is stopped or rolled back, everybody gets the defaults."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from hybridcx.experiments.assignment import assign
from hybridcx.experiments.spec import SCRIPT_KEY, STRATEGY_KEY
from hybridcx.models import Conversation, Customer, Experiment, ExperimentAssignment
from hybridcx.pipeline.base import Pipeline
from hybridcx.pipeline.policy import RoutingPolicy, _deep_merge
from hybridcx.queue.strategy import STRATEGIES, AssignmentStrategy
from hybridcx.segments.profiles import turn_overrides as segment_overrides

ASSIGNED_EVENT = "experiment.assigned"

# (policy store, slug, overrides) -> (the base policy it was built on, policy, pipeline)
_variants: dict[tuple[int, str, str], tuple[RoutingPolicy, RoutingPolicy, Pipeline]] = {}


# Every turn asks which experiments run; they change a few times a day. This process forgets
# its answer when it writes an experiment, and re-reads at least every RUNNING_TTL seconds (so
# a change made by another process applies within that time).
RUNNING_TTL = 2.0
_running: dict[str, tuple[float, list[Experiment]]] = {}


async def running(session: AsyncSession, workspace_id: str) -> list[Experiment]:
    cached = _running.get(workspace_id)
    if cached is not None and time.monotonic() - cached[0] < RUNNING_TTL:
        return cached[1]
    stmt = (
        select(Experiment)
        .where(Experiment.workspace_id == workspace_id, Experiment.status == "running")
        .order_by(Experiment.created_at, Experiment.id)
    )
    found = list((await session.execute(stmt)).scalars().all())
    _running[workspace_id] = (time.monotonic(), found)
    return found


_CHANGED = "hybridcx_experiments_changed"


@event.listens_for(Session, "after_flush")
def _forget_written(session: Session, _context: object) -> None:
    changed = {
        obj.workspace_id
        for obj in (*session.new, *session.dirty, *session.deleted)
        if isinstance(obj, Experiment)
    }
    for workspace_id in changed:
        _running.pop(workspace_id, None)
    if changed:
        session.info.setdefault(_CHANGED, set()).update(changed)


@event.listens_for(Session, "after_commit")
def _forget_committed(session: Session) -> None:
    # Again after the commit: another turn may have read the old list in between.
    for workspace_id in session.info.pop(_CHANGED, ()):
        _running.pop(workspace_id, None)


def arm_overrides(exp: Experiment, arm: str) -> dict[str, Any]:
    for spec in exp.arms:
        if spec["name"] == arm:
            return dict(spec.get("overrides") or {})
    return {}


async def conversation_arms(
    session: AsyncSession, conv: Conversation, experiments: Sequence[Experiment]
) -> dict[str, str]:
    """The conversation's arm in each running experiment, assigning (and recording) new ones."""
    from hybridcx.conversations import repository as repo

    if not experiments:
        return {}
    stmt = select(ExperimentAssignment.experiment_id, ExperimentAssignment.arm).where(
        ExperimentAssignment.conversation_id == conv.id,
        ExperimentAssignment.experiment_id.in_([e.id for e in experiments]),
    )
    arms = {eid: arm for eid, arm in (await session.execute(stmt)).all()}
    for exp in experiments:
        if exp.id in arms:
            continue
        arm = arms[exp.id] = assign(exp.id, conv.customer_id, exp.arms)
        session.add(
            ExperimentAssignment(
                experiment_id=exp.id,
                conversation_id=conv.id,
                workspace_id=conv.workspace_id,
                customer_id=conv.customer_id,
                arm=arm,
            )
        )
        repo.add_event(
            session,
            conv,
            ASSIGNED_EVENT,
            actor="system",
            data={"experiment_id": exp.id, "experiment": exp.name, "kind": exp.kind, "arm": arm},
        )
    return arms


async def turn_policy(
    runtime: Any,
    session: AsyncSession,
    conv: Conversation,
    slug: str,
    customer: Customer | None = None,
) -> tuple[RoutingPolicy, Pipeline]:
    """The policy and pipeline for this conversation's turn: the workspace's, with the customer
    segment's profile and then the policy overrides of its arms in the running
    experiments merged on top."""
    base, pipeline = runtime.policies.policy(slug), runtime.policies.pipeline(slug)
    experiments = await running(session, conv.workspace_id)
    arms = await conversation_arms(session, conv, experiments)
    overrides: dict[str, Any] = segment_overrides(runtime, slug, customer)
    for exp in experiments:
        part = {
            k: v
            for k, v in arm_overrides(exp, arms[exp.id]).items()
            if k not in (STRATEGY_KEY, SCRIPT_KEY)
        }
        overrides = _deep_merge(overrides, part)
    if not overrides:
        return base, pipeline
    key = (id(runtime.policies), slug, json.dumps(overrides, sort_keys=True))
    cached = _variants.get(key)
    if cached is None or cached[0] is not base:
        policy = RoutingPolicy.model_validate(_deep_merge(base.model_dump(), overrides))
        cached = _variants[key] = (base, policy, runtime.policies.build(policy))
    return cached[1], cached[2]


async def assignment_strategies(
    session: AsyncSession, runtime: Any, workspace_id: str, conversation_ids: Sequence[str]
) -> dict[str, AssignmentStrategy]:
    """Conversations whose arm sets an assignment strategy, with that strategy."""
    if not conversation_ids:
        return {}
    experiments = {
        e.id: e
        for e in await running(session, workspace_id)
        if any(STRATEGY_KEY in (a.get("overrides") or {}) for a in e.arms)
    }
    if not experiments:
        return {}
    stmt = select(
        ExperimentAssignment.conversation_id,
        ExperimentAssignment.experiment_id,
        ExperimentAssignment.arm,
    ).where(
        ExperimentAssignment.experiment_id.in_(list(experiments)),
        ExperimentAssignment.conversation_id.in_(list(conversation_ids)),
    )
    out: dict[str, AssignmentStrategy] = {}
    for cid, eid, arm in (await session.execute(stmt)).all():
        name = arm_overrides(experiments[eid], arm).get(STRATEGY_KEY)
        if name:
            out[cid] = strategy_named(runtime, str(name))
    return out


def strategy_named(runtime: Any, name: str) -> AssignmentStrategy:
    if runtime.strategy.name == name:
        return runtime.strategy
    found = runtime.strategies.get(name)
    if found is None:
        found = runtime.strategies[name] = STRATEGIES[name]()
    return found
