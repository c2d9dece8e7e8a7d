"""Script adherence: of the required steps that applied, the share done when the
conversation was resolved, from the ``script.checked`` events of a window; per agent, per team
and per script (an experiment whose arms pick two scripts compares them here)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.models import Agent, ConversationEvent
from hybridcx.scripting.service import CHECKED_EVENT


def _summary(values: Iterable[float]) -> dict[str, Any]:
    vals = list(values)
    return {
        "conversations": len(vals),
        "adherence": round(sum(vals) / len(vals), 3) if vals else None,
        "fully_adherent": sum(1 for v in vals if v >= 1.0),
    }


async def adherence_report(
    session: AsyncSession, workspace_id: str, *, start: datetime, end: datetime
) -> dict[str, Any]:
    e = ConversationEvent
    stmt = (
        select(e.conversation_id, e.data)
        .where(
            e.workspace_id == workspace_id,
            e.type == CHECKED_EVENT,
            e.created_at >= start,
            e.created_at < end,
        )
        .order_by(e.seq)
    )
    last: dict[str, dict[str, Any]] = {}  # a conversation resolved twice counts its last check
    for cid, data in (await session.execute(stmt)).all():
        last[cid] = data or {}
    agents = {
        a.id: a
        for a in (
            await session.execute(select(Agent).where(Agent.workspace_id == workspace_id))
        ).scalars()
    }
    by_agent: dict[str, list[float]] = defaultdict(list)
    by_team: dict[str, list[float]] = defaultdict(list)
    by_script: dict[str, list[float]] = defaultdict(list)
    missed: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for data in last.values():
        value = float(data.get("adherence", 0.0))
        agent_id = str(data.get("agent_id") or "")
        by_agent[agent_id].append(value)
        agent = agents.get(agent_id)
        for team in (agent.teams if agent else None) or ["(no team)"]:
            by_team[team].append(value)
        script = str(data.get("script") or "")
        by_script[script].append(value)
        for step in data.get("missing") or []:
            missed[script][str(step)] += 1
    return {
        "overall": _summary(v for vals in by_agent.values() for v in vals),
        "agents": [
            {
                "agent_id": aid or None,
                "name": agents[aid].name if aid in agents else None,
                **_summary(vals),
            }
            for aid, vals in sorted(by_agent.items())
        ],
        "teams": [{"team": t, **_summary(vals)} for t, vals in sorted(by_team.items())],
        "scripts": [
            {"script": s, **_summary(vals), "missed_steps": dict(missed[s])}
            for s, vals in sorted(by_script.items())
        ],
    }
