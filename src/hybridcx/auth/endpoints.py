from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select

from hybridcx.audit import record as audit
from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.service import sign_in_agent
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import Unauthorized
from hybridcx.models import Agent

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class TokenRequest(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=200)


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"


@router.post("/token", response_model=TokenRead)
async def create_token(body: TokenRequest, runtime: RuntimeDep) -> TokenRead:
    """Sign a staff member in; the token goes in `Authorization: Bearer ...`."""
    try:
        async with transaction(runtime.sessions) as session:
            token, agent = await sign_in_agent(
                session, body.email, body.password, hours=runtime.staff_token_hours
            )
            audit(
                session,
                action="auth.login",
                actor_type="staff",
                actor_id=agent.id,
                workspace_id=agent.workspace_id,
                target_type="staff",
                target_id=agent.id,
            )
    except Unauthorized:
        email = body.email.strip().lower()
        async with transaction(runtime.sessions) as session:
            account = (
                await session.execute(select(Agent).where(Agent.email == email))
            ).scalar_one_or_none()
            audit(  # filed under the account's workspace, so its auditors see the attempts
                session,
                action="auth.login_failed",
                actor_type="anonymous",
                workspace_id=account.workspace_id if account else None,
                target_type="staff" if account else None,
                target_id=account.id if account else None,
                details={"email": email},
            )
        raise
    return TokenRead(access_token=token)
