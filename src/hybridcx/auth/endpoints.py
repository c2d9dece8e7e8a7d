from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from hybridcx.audit import record as audit
from hybridcx.auth import mfa
from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.login import sign_in
from hybridcx.auth.service import agent_by_email, check_password
from hybridcx.auth.throttle import LoginThrottle, LoginThrottled
from hybridcx.kit.db import transaction
from hybridcx.kit.deps import HasSessions
from hybridcx.kit.errors import Unauthorized
from hybridcx.kit.sealed import keyring_for

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class TokenRequest(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=200)


class TokenRead(BaseModel):
    """Either the staff token, or (``mfa_required``) the next step: a code for ``mfa_token``."""

    access_token: str | None = None
    token_type: str = "bearer"
    mfa_required: bool = False
    # POST it with a code to /api/v1/auth/mfa/verify within 5 minutes.
    mfa_token: str | None = None
    # False: the workspace requires a second factor this account has not set up yet; enrol
    # with POST /api/v1/auth/mfa/enroll {"mfa_token": ...} first.
    mfa_enrolled: bool | None = None
    message: str | None = None


@router.post("/token", response_model=TokenRead, response_model_exclude_none=True)
async def create_token(body: TokenRequest, runtime: RuntimeDep, request: Request) -> TokenRead:
    """Sign a staff member in; the token goes in `Authorization: Bearer ...`.

    Failed sign-ins are throttled per account (429 with `Retry-After`), the same way whether or
    not the account exists. An account with a second factor (or of a workspace that requires
    one) gets no token yet: ``mfa_required`` and an ``mfa_token`` for
    ``POST /api/v1/auth/mfa/verify``."""
    email = body.email.strip().lower()
    throttle: LoginThrottle | None = getattr(request.app.state, "login_throttle", None)
    account = keyring_for(runtime.engine.sync_engine.dialect).blind_index(f"login:{email}")
    attempt = await throttle.begin(runtime.sessions, account) if throttle else None
    if attempt is not None and not attempt.allowed:
        raise LoginThrottled(attempt.retry_after)
    try:
        async with transaction(runtime.sessions) as session:
            agent = await check_password(session, body.email, body.password)
            if await mfa.required_for(session, agent):
                enrolled = agent.mfa_enabled_at is not None
                step = TokenRead(
                    mfa_required=True,
                    mfa_token=await mfa.start_challenge(session, agent.id),
                    mfa_enrolled=enrolled,
                    message=(
                        "Enter the 6-digit code from your authenticator app (or a recovery code)."
                        if enrolled
                        else "Your workspace requires a second factor: set up an authenticator "
                        "app to finish signing in."
                    ),
                )
            else:
                step = TokenRead(
                    access_token=await sign_in(session, agent, hours=runtime.staff_token_hours)
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
    return step


async def _audit_failure(
    runtime: HasSessions, email: str, *, locked: bool, throttle: LoginThrottle | None
) -> None:
    async with transaction(runtime.sessions) as session:
        found = await agent_by_email(session, email)
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
