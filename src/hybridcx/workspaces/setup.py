"""Setting up a real (non-demo) deployment: workspaces, their web chat inbox, staff accounts."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.kit.errors import Conflict, InvalidInput, NotFound
from hybridcx.kit.ids import new_id
from hybridcx.kit.security import hash_password
from hybridcx.models import Agent, Inbox, Workspace

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
ROLES = ("agent", "supervisor", "admin", "auditor")


@dataclass(frozen=True)
class CreatedWorkspace:
    workspace_id: str
    slug: str
    inbox_key: str
    inbox_secret: str


async def create_workspace(
    session: AsyncSession, *, slug: str, name: str, default: bool
) -> CreatedWorkspace:
    """A workspace with one web chat inbox; its key goes in the widget, its secret stays on
    the embedding site's server (to sign identities)."""
    if not SLUG.match(slug):
        raise InvalidInput("The slug must be 2-63 lowercase letters, digits or dashes.")
    if (
        await session.execute(select(Workspace).where(Workspace.slug == slug))
    ).scalar_one_or_none():
        raise Conflict(f"A workspace {slug!r} already exists.")
    if default:
        await session.execute(update(Workspace).values(is_default=False))
    ws = Workspace(id=new_id(), slug=slug, name=name, is_default=default)
    session.add(ws)
    await session.flush()
    inbox = Inbox(
        id=new_id(),
        workspace_id=ws.id,
        key=f"{slug}-{secrets.token_hex(4)}",
        channel="webchat",
        name=f"{name} web chat",
        hmac_secret=secrets.token_urlsafe(32),
        is_default=True,
    )
    session.add(inbox)
    await session.flush()
    return CreatedWorkspace(ws.id, slug, inbox.key, inbox.hmac_secret)


async def add_staff(
    session: AsyncSession,
    *,
    workspace_slug: str,
    email: str,
    name: str,
    role: str,
    password: str,
    skills: list[str],
    capacity: int,
) -> str:
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}")
    if len(password) < 10:
        raise InvalidInput("Use a password of at least 10 characters.")
    ws = (
        await session.execute(select(Workspace).where(Workspace.slug == workspace_slug))
    ).scalar_one_or_none()
    if ws is None:
        raise NotFound(f"No workspace {workspace_slug!r}.")
    email = email.strip().lower()
    if (await session.execute(select(Agent).where(Agent.email == email))).scalar_one_or_none():
        raise Conflict(f"{email} already has a staff account.")
    agent = Agent(
        id=new_id(),
        workspace_id=ws.id,
        email=email,
        name=name,
        role=role,
        password_hash=hash_password(password),
        skills=skills,
        capacity=capacity,
        status="away",
    )
    session.add(agent)
    await session.flush()
    from hybridcx.audit import record  # staff accounts and roles are audited

    record(
        session,
        action="staff.created",
        actor_type="cli",
        workspace_id=ws.id,
        target_type="staff",
        target_id=agent.id,
        details={"email": email, "role": role},
    )
    return agent.id
