"""Agent availability and presence (a live desk connection)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.kit.ids import utcnow
from hybridcx.models import Agent, AgentPresence, AgentShift

AGENT_STATUSES = ("available", "away")
# A desk session that comes back within this long continues the same shift (staffed time).
SHIFT_GAP = timedelta(minutes=5)


async def workspace_agents(
    session: AsyncSession,
    workspace_id: str,
    agent_ids: list[str] | None = None,
    *,
    include_inactive: bool = False,
) -> list[Agent]:
    """The workspace's staff (all, or those of ``agent_ids``) by name; active ones only
    unless ``include_inactive``."""
    stmt = select(Agent).where(Agent.workspace_id == workspace_id)
    if not include_inactive:
        stmt = stmt.where(Agent.active.is_(True))
    if agent_ids is not None:
        stmt = stmt.where(Agent.id.in_(agent_ids))
    return list((await session.execute(stmt.order_by(Agent.name))).scalars().all())


async def set_phone(session: AsyncSession, agent_id: str, phone: str | None) -> None:
    """Where accepted phone calls ring the staff member (None: nowhere)."""
    agent = await session.get(Agent, agent_id)
    if agent is not None:
        agent.phone = phone


async def set_status(session: AsyncSession, agent_id: str, status: str) -> None:
    values: dict[str, object] = {"status": status}
    if status == "available":
        values["idle_since"] = utcnow()
    await session.execute(update(Agent).where(Agent.id == agent_id).values(**values))


async def connect(session: AsyncSession, agent_id: str, connection_id: str) -> None:
    now = utcnow()
    session.add(AgentPresence(connection_id=connection_id, agent_id=agent_id, heartbeat_at=now))
    await touch_shift(session, agent_id, now)


async def heartbeat(session: AsyncSession, connection_id: str) -> None:
    now = utcnow()
    await session.execute(
        update(AgentPresence)
        .where(AgentPresence.connection_id == connection_id)
        .values(heartbeat_at=now)
    )
    agent_id = await _agent_of(session, connection_id)
    if agent_id is not None:
        await touch_shift(session, agent_id, now)


async def disconnect(session: AsyncSession, connection_id: str) -> None:
    agent_id = await _agent_of(session, connection_id)
    if agent_id is not None:
        await touch_shift(session, agent_id, utcnow())
    await session.execute(delete(AgentPresence).where(AgentPresence.connection_id == connection_id))


async def _agent_of(session: AsyncSession, connection_id: str) -> str | None:
    stmt = select(AgentPresence.agent_id).where(AgentPresence.connection_id == connection_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def touch_shift(session: AsyncSession, agent_id: str, now: datetime) -> None:
    """Extend the agent's current shift to ``now``, or start one after a gap of SHIFT_GAP."""
    stmt = (
        select(AgentShift)
        .where(AgentShift.agent_id == agent_id, AgentShift.last_seen_at >= now - SHIFT_GAP)
        .order_by(AgentShift.last_seen_at.desc())
        .limit(1)
    )
    shift = (await session.execute(stmt)).scalar_one_or_none()
    if shift is not None:
        shift.last_seen_at = max(shift.last_seen_at, now)
        return
    workspace_id = (
        await session.execute(select(Agent.workspace_id).where(Agent.id == agent_id))
    ).scalar_one_or_none()
    if workspace_id is not None:
        session.add(
            AgentShift(
                workspace_id=workspace_id, agent_id=agent_id, started_at=now, last_seen_at=now
            )
        )


async def staffed_seconds(
    session: AsyncSession, workspace_id: str, start: datetime, end: datetime
) -> dict[str, float]:
    """Each agent's staffed (desk logged-in) seconds within [start, end)."""
    stmt = select(AgentShift.agent_id, AgentShift.started_at, AgentShift.last_seen_at).where(
        AgentShift.workspace_id == workspace_id,
        AgentShift.started_at < end,
        AgentShift.last_seen_at > start,
    )
    totals: dict[str, float] = {}
    for agent_id, began, seen in await session.execute(stmt):
        seconds = (min(seen, end) - max(began, start)).total_seconds()
        if seconds > 0:
            totals[agent_id] = totals.get(agent_id, 0.0) + seconds
    return totals


async def online_agent_ids(
    session: AsyncSession, workspace_id: str, *, timeout_seconds: int
) -> set[str]:
    fresh = utcnow() - timedelta(seconds=timeout_seconds)
    stmt = (
        select(AgentPresence.agent_id)
        .join(Agent, Agent.id == AgentPresence.agent_id)
        .where(Agent.workspace_id == workspace_id, AgentPresence.heartbeat_at >= fresh)
    )
    return set((await session.execute(stmt)).scalars().all())
