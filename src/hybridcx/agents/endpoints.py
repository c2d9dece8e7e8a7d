from __future__ import annotations

import re
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator

from hybridcx.agents import admin, service
from hybridcx.agents.schemas import AgentDeactivated, AgentList, AgentPasswordReset, AgentRead
from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import ROLES, Perm, PresenceStaff, StaffManager, StaffReader, can
from hybridcx.conversations.repository import agent_loads
from hybridcx.conversations.schemas import clean_text
from hybridcx.customers.repository import to_e164
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import NotFound
from hybridcx.kit.outbox import Outbox
from hybridcx.models import Agent
from hybridcx.queue.requeue import requeue_conversations_of
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
        "active": agent.active,
        "mfa_enabled": agent.mfa_enabled_at is not None,
        "sso": agent.oidc_subject is not None,
    }


async def _read(
    runtime: RuntimeDep,
    workspace_id: str,
    agent_ids: list[str] | None,
    *,
    include_inactive: bool = False,
) -> list[dict[str, Any]]:
    async with runtime.sessions() as session:
        agents = await service.workspace_agents(
            session, workspace_id, agent_ids, include_inactive=include_inactive
        )
        online = await service.online_agent_ids(
            session, workspace_id, timeout_seconds=runtime.presence_timeout_seconds
        )
        loads = await agent_loads(session, workspace_id)
        return [agent_read(a, online=a.id in online, load=loads.get(a.id, 0)) for a in agents]


@router.get("/me", response_model=AgentRead)
async def me(staff: StaffReader, runtime: RuntimeDep) -> dict[str, Any]:
    return (await _read(runtime, staff.workspace_id, [staff.agent_id]))[0]


@router.put("/me/status", response_model=AgentRead)
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


@router.put("/me/phone", response_model=AgentRead)
async def update_phone(
    body: PhoneUpdate, staff: PresenceStaff, runtime: RuntimeDep
) -> dict[str, Any]:
    """Set where accepted phone calls ring you."""
    async with transaction(runtime.sessions) as session:
        await service.set_phone(session, staff.agent_id, body.phone)
    return (await _read(runtime, staff.workspace_id, [staff.agent_id]))[0]


@router.get("", response_model=AgentList)
async def list_agents(
    staff: StaffReader, runtime: RuntimeDep, include_inactive: bool = False
) -> dict[str, Any]:
    """Everyone on the team with status, presence and load (e.g. to pick a transfer target).
    Deactivated accounts are left out unless an admin asks (``include_inactive=true``)."""
    everyone = include_inactive and can(staff, Perm.STAFF_MANAGE)
    return {"items": await _read(runtime, staff.workspace_id, None, include_inactive=everyone)}


# ---- staff administration: admins only, scoped to the admin's workspace ----------


class ProfileUpdate(BaseModel):
    """Only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: str | None = Field(default=None, description="agent, supervisor, admin or auditor.")
    teams: list[str] | None = Field(default=None, max_length=50)
    skills: list[str] | None = Field(default=None, max_length=50)
    capacity: int | None = Field(default=None, ge=0, le=50)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = clean_text(value).strip()
        if not value:
            raise ValueError("the name cannot be empty")
        return value

    @field_validator("role")
    @classmethod
    def _role(cls, value: str | None) -> str | None:
        if value is not None and value not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        return value

    @field_validator("teams", "skills")
    @classmethod
    def _names(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        names = sorted({clean_text(t).strip() for t in value if t.strip()})
        if any(len(t) > 64 for t in names):
            raise ValueError("team and skill names are at most 64 characters")
        return names


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # None: a password is generated and returned once.
    password: str | None = Field(default=None, max_length=200)


async def _one(runtime: RuntimeDep, staff: StaffManager, agent_id: str) -> dict[str, Any]:
    items = await _read(runtime, staff.workspace_id, [agent_id], include_inactive=True)
    if not items:
        raise NotFound("No such staff member in this workspace.")
    return items[0]


@router.patch("/{agent_id}", response_model=AgentRead)
async def update_agent(
    agent_id: str, body: ProfileUpdate, staff: StaffManager, runtime: RuntimeDep
) -> dict[str, Any]:
    """Edit a staff member's name, role, teams, skills and capacity (admins; audited)."""
    async with transaction(runtime.sessions) as session:
        await admin.update_profile(session, staff, agent_id, body.model_dump(exclude_none=True))
    return await _one(runtime, staff, agent_id)


@router.post("/{agent_id}/deactivate", response_model=AgentDeactivated)
async def deactivate_agent(
    agent_id: str, staff: StaffManager, runtime: RuntimeDep
) -> dict[str, Any]:
    """Deactivate a staff member: they are signed out everywhere at once and cannot sign in
    (password or SSO) until reactivated. Conversations assigned to them go back to the queue
    at once (``requeued``: their ids), so ``open_conversations`` is 0."""
    outbox = Outbox()
    async with transaction(runtime.sessions) as session:
        agent = await admin.deactivate(session, staff, agent_id, outbox)
        requeued = await requeue_conversations_of(session, runtime, agent, staff, outbox)
        open_count = await admin.open_conversations(session, agent_id)
    await outbox.flush(runtime)
    if requeued:
        await dispatch(runtime, staff.workspace_id)
    return {
        **await _one(runtime, staff, agent_id),
        "open_conversations": open_count,
        "requeued": requeued,
    }


@router.post("/{agent_id}/reactivate", response_model=AgentRead)
async def reactivate_agent(
    agent_id: str, staff: StaffManager, runtime: RuntimeDep
) -> dict[str, Any]:
    """Let a deactivated staff member sign in again (old tokens stay revoked)."""
    async with transaction(runtime.sessions) as session:
        await admin.reactivate(session, staff, agent_id)
    return await _one(runtime, staff, agent_id)


@router.post(
    "/{agent_id}/password",
    response_model=AgentPasswordReset,
    # temporary_password is there only when one was generated
    response_model_exclude_unset=True,
)
async def reset_password(
    agent_id: str, body: PasswordReset, staff: StaffManager, runtime: RuntimeDep
) -> dict[str, Any]:
    """Give a staff member a new password (or generate one: ``temporary_password``, shown
    once) and sign them out everywhere."""
    async with transaction(runtime.sessions) as session:
        generated = await admin.reset_password(session, staff, agent_id, body.password)
    out = await _one(runtime, staff, agent_id)
    return {**out, "temporary_password": generated} if generated else out


@router.delete("/{agent_id}/mfa", response_model=AgentRead)
async def reset_mfa(agent_id: str, staff: StaffManager, runtime: RuntimeDep) -> dict[str, Any]:
    """Remove a staff member's second factor (a lost phone); they enrol again when required."""
    async with transaction(runtime.sessions) as session:
        await admin.reset_mfa(session, staff, agent_id)
    return await _one(runtime, staff, agent_id)
