from __future__ import annotations

import re
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select

from hybridcx.agents import service
from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import PresenceStaff, StaffReader
from hybridcx.conversations.repository import agent_loads
from hybridcx.customers.repository import to_e164
from hybridcx.kit.db import transaction
from hybridcx.models import Agent
from hybridcx.queue.service import dispatch

router = APIRouter(prefix="/api/v1/agents", tags=["agents"])


class StatusUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["available", "away"]


CLIENT_IDENTITY = re.compile(r"^client:[A-Za-z0-9_.@-]{1,120}$")


class PhoneUpdate(BaseModel):
    """Where an accepted call rings you: an E.164 number or ``client:<identity>`` (a Twilio
    Client softphone); null stops calls from ringing you."""

    model_config = ConfigDict(extra="forbid")

    phone: str | None = Field(default=None, max_length=200)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if value.startswith("client:"):
            if not CLIENT_IDENTITY.match(value):
                raise ValueError("client:<identity> takes letters, digits and _ . @ - only")
            return value
        e164 = to_e164(value)
        if e164 is None:
            raise ValueError("not a phone number: use E.164 (+14155550100) or client:<identity>")
        return e164


def agent_read(agent: Agent, *, online: bool, load: int) -> dict[str, Any]:
    return {
        "id": agent.id,
        "email": agent.email,
        "name": agent.name,
        "role": agent.role,
        "skills": agent.skills,
        "teams": list(agent.teams or []),
        "capacity": agent.capacity,
        "phone": agent.phone,
        "status": agent.status,
        "online": online,
        "load": load,
    }


async def _read(
    runtime: RuntimeDep, workspace_id: str, agent_ids: list[str] | None
) -> list[dict[str, Any]]:
    async with runtime.sessions() as session:
        stmt = select(Agent).where(Agent.workspace_id == workspace_id)
        if agent_ids is not None:
            stmt = stmt.where(Agent.id.in_(agent_ids))
        agents = (await session.execute(stmt.order_by(Agent.name))).scalars().all()
        online = await service.online_agent_ids(
            session, workspace_id, timeout_seconds=runtime.presence_timeout_seconds
        )
        loads = await agent_loads(session, workspace_id)
        return [agent_read(a, online=a.id in online, load=loads.get(a.id, 0)) for a in agents]


@router.get("/me")
async def me(staff: StaffReader, runtime: RuntimeDep) -> dict[str, Any]:
    return (await _read(runtime, staff.workspace_id, [staff.agent_id]))[0]


@router.put("/me/status")
async def update_status(
    body: StatusUpdate, staff: PresenceStaff, runtime: RuntimeDep
) -> dict[str, Any]:
    """Set availability. Conversations are auto-assigned only while available *and* connected
    to the desk WebSocket."""
    async with transaction(runtime.sessions) as session:
        await service.set_status(session, staff.agent_id, body.status)
    if body.status == "available":
        await dispatch(runtime, staff.workspace_id)
    return (await _read(runtime, staff.workspace_id, [staff.agent_id]))[0]


@router.put("/me/phone")
async def update_phone(
    body: PhoneUpdate, staff: PresenceStaff, runtime: RuntimeDep
) -> dict[str, Any]:
    """Set where accepted phone calls ring you."""
    async with transaction(runtime.sessions) as session:
        agent = await session.get(Agent, staff.agent_id)
        if agent is not None:
            agent.phone = body.phone
    return (await _read(runtime, staff.workspace_id, [staff.agent_id]))[0]


@router.get("")
async def list_agents(staff: StaffReader, runtime: RuntimeDep) -> dict[str, Any]:
    """Everyone on the team with status, presence and load (e.g. to pick a transfer target)."""
    return {"items": await _read(runtime, staff.workspace_id, None)}
