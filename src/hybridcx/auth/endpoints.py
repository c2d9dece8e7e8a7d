from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from hybridcx.audit import record as audit
from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.service import sign_in_agent
from hybridcx.auth.throttle import LoginThrottle, LoginThrottled
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import Unauthorized
from hybridcx.models import Agent
from hybridcx.privacy.fields import keyring_for
from hybridcx.runtime import Runtime

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class TokenRequest(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=200)


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"


@router.post("/token", response_model=TokenRead)
async def create_token(body: TokenRequest, runtime: RuntimeDep, request: Request) -> TokenRead:
    """Sign a staff member in; the token goes in `Authorization: Bearer ...`.

    Failed sign-ins are throttled per account (429 with `Retry-After`), the same way whether or
    not the account exists."""
    email = body.email.strip().lower()
    throttle: LoginThrottle | None = getattr(request.app.state, "login_throttle", None)
    account = keyring_for(runtime.engine.sync_engine.dialect).blind_index(f"login:{email}")
    attempt = await throttle.begin(runtime.sessions, account) if throttle else None
    if attempt is not None and not attempt.allowed:
        raise LoginThrottled(attempt.retry_after)
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
        locked = (
            throttle is not None
            and attempt is not None
            and attempt.failures >= throttle.max_failures
        )
        await _audit_failure(runtime, email, locked=locked, throttle=throttle)
        raise
    if throttle is not None:
        await throttle.succeeded(runtime.sessions, account)
    return TokenRead(access_token=token)


async def _audit_failure(
    runtime: Runtime, email: str, *, locked: bool, throttle: LoginThrottle | None
) -> None:
    async with transaction(runtime.sessions) as session:
        found = (
            await session.execute(select(Agent).where(Agent.email == email))
        ).scalar_one_or_none()
        # Filed under the account's workspace, so its auditors see the attempts.
        where: dict[str, Any] = {
            "workspace_id": found.workspace_id if found else None,
            "target_type": "staff" if found else None,
            "target_id": found.id if found else None,
        }
        audit(
            session,
            action="auth.login_failed",
            actor_type="anonymous",
            details={"email": email},
            **where,
        )
        if locked and throttle is not None:
            audit(
                session,
                action="auth.locked_out",
                actor_type="system",
                details={
                    "email": email,
                    "failures": throttle.max_failures,
                    "window_seconds": throttle.window_seconds,
                },
                **where,
            )
