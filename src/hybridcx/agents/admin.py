"""Staff administration (admins): edit a profile, deactivate and reactivate, reset a password or
a second factor. Every change is audited in the caller's transaction; every lookup is scoped to
the admin's workspace (another workspace's staff member is 404, as if absent).

Deactivating signs the person out at once: their staff tokens and pending second-factor
sign-ins are deleted in the same transaction (``staff_from_token`` also refuses an inactive
account), their desk presence is dropped so the queue stops offering them conversations, and a
``staff.signed_out`` event closes their open desk WebSocket.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.audit import record as audit
from hybridcx.auth import mfa
from hybridcx.auth.service import StaffPrincipal, revoke_tokens
from hybridcx.kit.errors import Conflict, InvalidInput, NotFound
from hybridcx.kit.events import StaffSignedOut
from hybridcx.kit.ids import utcnow
from hybridcx.kit.outbox import Outbox
from hybridcx.kit.security import hash_password
from hybridcx.models import Agent, AgentPresence, Conversation, MfaChallenge

MIN_PASSWORD = 10
EDITABLE = ("name", "role", "teams", "skills", "capacity")


def profile(agent: Agent) -> dict[str, Any]:
    return {
        "name": agent.name,
        "role": agent.role,
        "teams": list(agent.teams or []),
        "skills": list(agent.skills or []),
        "capacity": agent.capacity,
    }


async def get_in_workspace(session: AsyncSession, staff: StaffPrincipal, agent_id: str) -> Agent:
    agent = await session.get(Agent, agent_id)
    if agent is None or agent.workspace_id != staff.workspace_id:
        raise NotFound("No such staff member in this workspace.")
    return agent


async def update_profile(
    session: AsyncSession, staff: StaffPrincipal, agent_id: str, changes: dict[str, Any]
) -> Agent:
    agent = await get_in_workspace(session, staff, agent_id)
    if agent.id == staff.agent_id and changes.get("role") not in (None, agent.role):
        raise InvalidInput("You cannot change your own role; ask another admin.")
    before = profile(agent)
    for key in EDITABLE:
        if changes.get(key) is not None:
            setattr(agent, key, changes[key])
    after = profile(agent)
    diff = {k: {"before": before[k], "after": after[k]} for k in EDITABLE if before[k] != after[k]}
    if diff:
        # Tokens are resolved against the account on every request: the next one has the new
        # role and teams, no sign-out needed.
        audit(
            session,
            action="staff.updated",
            actor=staff,
            target_type="staff",
            target_id=agent.id,
            details={"changes": diff},
        )
    return agent


async def open_conversations(session: AsyncSession, agent_id: str) -> int:
    stmt = select(func.count()).where(
        Conversation.assigned_agent_id == agent_id, Conversation.status == "assigned"
    )
    return int((await session.execute(stmt)).scalar_one())


async def deactivate(
    session: AsyncSession, staff: StaffPrincipal, agent_id: str, outbox: Outbox
) -> Agent:
    agent = await get_in_workspace(session, staff, agent_id)
    if agent.id == staff.agent_id:
        raise InvalidInput("You cannot deactivate your own account; ask another admin.")
    if not agent.active:
        raise Conflict("This staff member is already deactivated.")
    agent.active = False
    agent.deactivated_at = utcnow()
    agent.status = "away"
    revoked = await revoke_tokens(session, agent.id)
    await session.execute(delete(MfaChallenge).where(MfaChallenge.agent_id == agent.id))
    await session.execute(delete(AgentPresence).where(AgentPresence.agent_id == agent.id))
    audit(
        session,
        action="staff.deactivated",
        actor=staff,
        target_type="staff",
        target_id=agent.id,
        details={"tokens_revoked": revoked},
    )
    outbox.emit(StaffSignedOut(agent.workspace_id, agent_id=agent.id))
    return agent


async def reactivate(session: AsyncSession, staff: StaffPrincipal, agent_id: str) -> Agent:
    agent = await get_in_workspace(session, staff, agent_id)
    if agent.active:
        raise Conflict("This staff member is already active.")
    agent.active = True
    agent.deactivated_at = None
    audit(session, action="staff.reactivated", actor=staff, target_type="staff", target_id=agent.id)
    return agent


async def reset_password(
    session: AsyncSession, staff: StaffPrincipal, agent_id: str, password: str | None
) -> str | None:
    """Set a new password (or generate one, returned once) and sign the person out everywhere.
    Returns the generated password, or None when the admin chose it."""
    agent = await get_in_workspace(session, staff, agent_id)
    generated = None
    if password is None:
        generated = password = secrets.token_urlsafe(12)
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"Use a password of at least {MIN_PASSWORD} characters.")
    agent.password_hash = hash_password(password)
    revoked = await revoke_tokens(session, agent.id)
    await session.execute(delete(MfaChallenge).where(MfaChallenge.agent_id == agent.id))
    audit(
        session,
        action="staff.password_reset",
        actor=staff,
        target_type="staff",
        target_id=agent.id,
        details={"generated": generated is not None, "tokens_revoked": revoked},
    )
    return generated


async def reset_mfa(session: AsyncSession, staff: StaffPrincipal, agent_id: str) -> Agent:
    """A lost phone: the account's second factor is removed (it enrols again if required)."""
    agent = await get_in_workspace(session, staff, agent_id)
    if agent.mfa_secret is None and agent.mfa_enabled_at is None:
        raise Conflict("This staff member has no second factor.")
    mfa.disable(agent)
    await revoke_tokens(session, agent.id)
    audit(session, action="staff.mfa_reset", actor=staff, target_type="staff", target_id=agent.id)
    return agent


async def cli_reset_mfa(session: AsyncSession, email: str) -> None:
    """``hybridcx staff reset-mfa``: the same as an admin's reset, for whoever runs the server."""
    agent = (
        await session.execute(select(Agent).where(Agent.email == email.strip().lower()))
    ).scalar_one_or_none()
    if agent is None:
        raise NotFound(f"No staff account {email!r}.")
    if agent.mfa_secret is None and agent.mfa_enabled_at is None:
        raise Conflict(f"{email} has no second factor.")
    mfa.disable(agent)
    await revoke_tokens(session, agent.id)
    audit(
        session,
        action="staff.mfa_reset",
        actor_type="cli",
        workspace_id=agent.workspace_id,
        target_type="staff",
        target_id=agent.id,
    )
