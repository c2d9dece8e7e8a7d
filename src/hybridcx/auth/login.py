"""A staff member signs in: a new token, and the audit record that says how."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.audit import record as audit
from hybridcx.auth.service import issue_token
from hybridcx.models import Agent


async def sign_in(
    session: AsyncSession, agent: Agent, *, hours: int, details: dict[str, Any] | None = None
) -> str:
    """A bearer token for ``agent`` (password, second factor or single sign-on), audited as
    ``auth.login`` with ``details`` (which factor, which provider)."""
    token = await issue_token(session, agent.id, hours=hours)
    audit(
        session,
        action="auth.login",
        actor_type="staff",
        actor_id=agent.id,
        workspace_id=agent.workspace_id,
        target_type="staff",
        target_id=agent.id,
        details=details,
    )
    return token
