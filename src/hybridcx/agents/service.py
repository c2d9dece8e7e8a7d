"""Agent availability and presence (a live desk connection)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.kit.ids import utcnow
from hybridcx.models import Agent, AgentPresence

AGENT_STATUSES = ("available", "away")


async def set_status(session: AsyncSession, agent_id: str, status: str) -> None:
    values: dict[str, object] = {"status": status}
    if status == "available":
        values["idle_since"] = utcnow()
    await session.execute(update(Agent).where(Agent.id == agent_id).values(**values))


async def connect(session: AsyncSession, agent_id: str, connection_id: str) -> None:
    session.add(
        AgentPresence(connection_id=connection_id, agent_id=agent_id, heartbeat_at=utcnow())
    )


async def heartbeat(session: AsyncSession, connection_id: str) -> None:
    await session.execute(
        update(AgentPresence)
        .where(AgentPresence.connection_id == connection_id)
        .values(heartbeat_at=utcnow())
    )


async def disconnect(session: AsyncSession, connection_id: str) -> None:
    await session.execute(delete(AgentPresence).where(AgentPresence.connection_id == connection_id))


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
