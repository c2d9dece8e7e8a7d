"""``/api/v1/auth/mfa``: enrol a TOTP second factor, finish a sign-in with a code, turn the
factor off, and (admins) require it for the workspace. See auth/mfa.py for the flow."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from hybridcx.audit import record as audit
from hybridcx.auth import mfa
from hybridcx.auth.deps import LoginDeps, RuntimeDep, Staff
from hybridcx.auth.login import sign_in
from hybridcx.auth.permissions import StaffManager
from hybridcx.auth.service import staff_from_token
from hybridcx.auth.throttle import LoginThrottle, LoginThrottled
from hybridcx.kit.db import transaction
from hybridcx.kit.deps import HasSessions
from hybridcx.kit.errors import Conflict, NotFound, Unauthorized
from hybridcx.kit.sealed import keyring_for
from hybridcx.models import Agent, Workspace

router = APIRouter(prefix="/api/v1/auth/mfa", tags=["auth"])

EXPIRED = "This sign-in has expired or was already used; sign in with your password again."


class EnrollRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Without a staff token: the mfa_token of a sign-in whose workspace requires a factor.
    mfa_token: str | None = Field(default=None, max_length=200)


class EnrollRead(BaseModel):
    secret: str
    otpauth_uri: str
    qr_svg: str


class CodeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=40, description="TOTP code or a recovery code")


class VerifyRequest(CodeRequest):
    mfa_token: str = Field(min_length=1, max_length=200)


class VerifyRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    # Only when this code finished an enrolment: shown once, keep them somewhere safe.
    recovery_codes: list[str] | None = None


class MfaStatus(BaseModel):
    enabled: bool
    pending: bool
    required_by_workspace: bool
    recovery_codes_left: int


class PolicyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    required: bool


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


SignedIn = Staff  # any role: a second factor is everyone's own


async def _throttled(request: Request, runtime: LoginDeps, agent_id: str) -> tuple[Any, str]:
    throttle: LoginThrottle | None = getattr(request.app.state, "login_throttle", None)
    account = keyring_for(runtime.engine.sync_engine.dialect).blind_index(f"mfa:{agent_id}")
    if throttle is not None:
        attempt = await throttle.begin(runtime.sessions, account)
        if not attempt.allowed:
            raise LoginThrottled(attempt.retry_after)
    return throttle, account


@router.get("", response_model=MfaStatus)
async def status(staff: SignedIn, runtime: RuntimeDep) -> MfaStatus:
    """Your own second factor: on, waiting for its first code, required by the workspace."""
    async with runtime.sessions() as session:
        agent = await session.get(Agent, staff.agent_id)
        assert agent is not None
        return MfaStatus(
            enabled=agent.mfa_enabled_at is not None,
            pending=agent.mfa_secret is not None and agent.mfa_enabled_at is None,
            required_by_workspace=await mfa.workspace_requires(session, staff.workspace_id),
            recovery_codes_left=len(agent.mfa_recovery_hashes or []),
        )


@router.post("/enroll", response_model=EnrollRead)
async def enroll(body: EnrollRequest, runtime: RuntimeDep, request: Request) -> EnrollRead:
    """Start setting up an authenticator app: a new secret, as an otpauth URI and a QR code.
    Signed in (a staff token), or mid sign-in (``mfa_token``) where the workspace requires a
    factor. Confirm with the first code (``/confirm``, or ``/verify`` mid sign-in)."""
    token = _bearer(request)
    async with transaction(runtime.sessions) as session:
        if body.mfa_token:
            agent = await mfa.challenged_agent(session, body.mfa_token)
            if agent is None:
                raise Unauthorized(EXPIRED)
        else:
            staff = await staff_from_token(session, token) if token else None
            if staff is None:
                raise Unauthorized("Send a staff token, or the mfa_token of your sign-in.")
            agent = await session.get(Agent, staff.agent_id)
            assert agent is not None
        if agent.mfa_enabled_at is not None:
            raise Conflict("A second factor is already on; turn it off first to replace it.")
        workspace = await session.get(Workspace, agent.workspace_id)
        secret = mfa.new_secret()
        agent.mfa_secret = secret
        agent.mfa_last_step = None
        uri = mfa.otpauth_uri(
            secret, email=agent.email, workspace=workspace.name if workspace else "hybridcx"
        )
    return EnrollRead(secret=secret, otpauth_uri=uri, qr_svg=mfa.qr_svg(uri))


@router.post("/confirm")
async def confirm(
    body: CodeRequest, staff: SignedIn, runtime: RuntimeDep, request: Request
) -> dict[str, Any]:
    """Turn the enrolled factor on with its first code; returns the recovery codes (once)."""
    throttle, account = await _throttled(request, runtime, staff.agent_id)
    async with transaction(runtime.sessions) as session:
        agent = await session.get(Agent, staff.agent_id)
        assert agent is not None
        if agent.mfa_enabled_at is not None:
            raise Conflict("Your second factor is already on.")
        if agent.mfa_secret is None:
            raise Conflict("Start with POST /api/v1/auth/mfa/enroll.")
        ok = mfa.check_totp(agent, body.code)
        if ok:
            codes = mfa.enable(agent)
            audit(
                session,
                action="auth.mfa_enabled",
                actor=staff,
                target_type="staff",
                target_id=agent.id,
            )
    if not ok:
        await _failed(runtime, staff.workspace_id, staff.agent_id)
        raise Unauthorized("Wrong code: enter the 6 digits your app shows now.")
    if throttle is not None:
        await throttle.succeeded(runtime.sessions, account)
    return {"enabled": True, "recovery_codes": codes}


@router.post("/verify", response_model=VerifyRead, response_model_exclude_none=True)
async def verify(body: VerifyRequest, runtime: RuntimeDep, request: Request) -> VerifyRead:
    """Finish a password sign-in with a TOTP code or a recovery code. Where the workspace
    required a factor the account had just enrolled, this code turns it on and the answer
    carries the recovery codes. Wrong codes are throttled per account like passwords."""
    async with runtime.sessions() as session:
        found = await mfa.challenged_agent(session, body.mfa_token)
    if found is None:
        raise Unauthorized(EXPIRED)
    throttle, account = await _throttled(request, runtime, found.id)
    recovery: list[str] | None = None
    async with transaction(runtime.sessions) as session:
        agent = await mfa.challenged_agent(session, body.mfa_token)
        if agent is None:
            raise Unauthorized(EXPIRED)
        if agent.mfa_secret is None:
            raise Conflict("Set up an authenticator app first: POST /api/v1/auth/mfa/enroll.")
        method = None
        if mfa.check_totp(agent, body.code):
            method = "totp"
        elif agent.mfa_enabled_at is not None and mfa.use_recovery_code(agent, body.code):
            method = "recovery_code"
        if method is not None:
            if agent.mfa_enabled_at is None:
                recovery = mfa.enable(agent)
                audit(
                    session,
                    action="auth.mfa_enabled",
                    actor_type="staff",
                    actor_id=agent.id,
                    workspace_id=agent.workspace_id,
                    target_type="staff",
                    target_id=agent.id,
                )
            await mfa.end_challenge(session, body.mfa_token)
            token = await sign_in(
                session,
                agent,
                hours=runtime.staff_token_hours,
                details={"mfa": method, "recovery_codes_left": len(agent.mfa_recovery_hashes)},
            )
    if method is None:
        await _failed(runtime, found.workspace_id, found.id)
        raise Unauthorized("Wrong code: enter the 6 digits your app shows now, or a recovery code.")
    if throttle is not None:
        await throttle.succeeded(runtime.sessions, account)
    return VerifyRead(access_token=token, recovery_codes=recovery)


@router.delete("")
async def turn_off(
    body: CodeRequest, staff: SignedIn, runtime: RuntimeDep, request: Request
) -> dict[str, Any]:
    """Turn your own second factor off, with a current code (not where the workspace requires
    one: an admin can reset it for you instead)."""
    throttle, account = await _throttled(request, runtime, staff.agent_id)
    async with transaction(runtime.sessions) as session:
        if await mfa.workspace_requires(session, staff.workspace_id):
            raise Conflict("Your workspace requires a second factor; it cannot be turned off.")
        agent = await session.get(Agent, staff.agent_id)
        assert agent is not None
        if agent.mfa_enabled_at is None:
            raise Conflict("Your second factor is not on.")
        ok = mfa.check_totp(agent, body.code) or mfa.use_recovery_code(agent, body.code)
        if ok:
            mfa.disable(agent)
            audit(
                session,
                action="auth.mfa_disabled",
                actor=staff,
                target_type="staff",
                target_id=agent.id,
            )
    if not ok:
        await _failed(runtime, staff.workspace_id, staff.agent_id)
        raise Unauthorized("Wrong code.")
    if throttle is not None:
        await throttle.succeeded(runtime.sessions, account)
    return {"enabled": False}


@router.put("/policy")
async def set_policy(
    body: PolicyUpdate, staff: StaffManager, runtime: RuntimeDep
) -> dict[str, Any]:
    """Require a second factor for every password sign-in of the workspace (admins). Accounts
    without one are asked to enrol at their next sign-in; SSO sign-ins are the identity
    provider's to protect."""
    async with transaction(runtime.sessions) as session:
        workspace = await session.get(Workspace, staff.workspace_id)
        if workspace is None:
            raise NotFound("No such workspace.")
        if workspace.mfa_required != body.required:
            workspace.mfa_required = body.required
            audit(
                session,
                action="workspace.mfa_policy_changed",
                actor=staff,
                target_type="workspace",
                target_id=workspace.id,
                details={"required": body.required},
            )
    return {"required": body.required}


async def _failed(runtime: HasSessions, workspace_id: str, agent_id: str) -> None:
    async with transaction(runtime.sessions) as session:
        audit(
            session,
            action="auth.mfa_failed",
            actor_type="anonymous",
            workspace_id=workspace_id,
            target_type="staff",
            target_id=agent_id,
        )
