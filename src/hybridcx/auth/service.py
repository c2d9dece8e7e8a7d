"""Staff sign-in and bearer-token resolution (staff tokens and per-conversation customer tokens)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.kit.errors import Forbidden, Unauthorized
from hybridcx.kit.ids import hash_token, new_token, utcnow
from hybridcx.kit.security import hash_password, verify_password
from hybridcx.models import Agent, StaffToken

STAFF_ROLES = ("agent", "supervisor", "admin", "auditor")


@dataclass(frozen=True)
class StaffPrincipal:
    agent_id: str
    workspace_id: str
    role: str
    name: str
    teams: tuple[str, ...] = ()

    @property
    def is_supervisor(self) -> bool:
        return self.role in ("supervisor", "admin")

    def require(self, *roles: str) -> None:
        if self.role not in roles:
            raise Forbidden(
                f"This needs the {' or '.join(roles)} role; you are signed in as {self.role}."
            )


@dataclass(frozen=True)
class CustomerPrincipal:
    token: str


async def sign_in(session: AsyncSession, email: str, password: str, *, hours: int) -> str:
    token, _agent = await sign_in_agent(session, email, password, hours=hours)
    return token


async def sign_in_agent(
    session: AsyncSession, email: str, password: str, *, hours: int
) -> tuple[str, Agent]:
    agent = await check_password(session, email, password)
    return await issue_token(session, agent.id, hours=hours), agent


async def agent_by_email(session: AsyncSession, email: str) -> Agent | None:
    """The staff account with this (normalised) email, active or not."""
    stmt = select(Agent).where(Agent.email == email)
    return (await session.execute(stmt)).scalar_one_or_none()


async def check_password(session: AsyncSession, email: str, password: str) -> Agent:
    """The active staff account with this email and password; 401 otherwise."""
    agent = await agent_by_email(session, email.strip().lower())
    # An unknown email costs a hash check too, so the answer's timing does not tell which
    # accounts exist.
    known = verify_password(agent.password_hash if agent else _dummy_hash(), password)
    if agent is None or not known:
        raise Unauthorized("Wrong email or password.")
    if not agent.active:
        # Said only to whoever knows the password.
        raise Unauthorized("This staff account is deactivated; ask an admin to reactivate it.")
    return agent


async def issue_token(session: AsyncSession, agent_id: str, *, hours: int) -> str:
    """A new staff bearer token (stored hashed); expired ones are swept on the way."""
    token = new_token()
    now = utcnow()
    await session.execute(delete(StaffToken).where(StaffToken.expires_at < now))
    session.add(
        StaffToken(
            token_hash=hash_token(token), agent_id=agent_id, expires_at=now + timedelta(hours=hours)
        )
    )
    return token


async def revoke_tokens(session: AsyncSession, agent_id: str) -> int:
    """Sign a staff member out everywhere: every token stops working with this commit."""
    result = await session.execute(delete(StaffToken).where(StaffToken.agent_id == agent_id))
    return int(getattr(result, "rowcount", 0) or 0)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(new_token())


async def staff_from_token(session: AsyncSession, token: str) -> StaffPrincipal | None:
    stmt = (
        select(Agent)
        .join(StaffToken, StaffToken.agent_id == Agent.id)
        .where(
            StaffToken.token_hash == hash_token(token),
            StaffToken.expires_at > utcnow(),
            Agent.active.is_(True),
        )
    )
    agent = (await session.execute(stmt)).scalar_one_or_none()
    if agent is None:
        return None
    return StaffPrincipal(
        agent_id=agent.id,
        workspace_id=agent.workspace_id,
        role=agent.role,
        name=agent.name,
        teams=tuple(agent.teams or ()),
    )
