"""Single sign-on for staff with OpenID Connect (auth/oidc.py): the browser's round trip
through the workspace's identity provider, and the admins' settings for it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.audit import record as audit
from hybridcx.auth import oidc
from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.login import sign_in
from hybridcx.auth.permissions import ROLES, StaffManager
from hybridcx.kit.db import transaction
from hybridcx.kit.deps import HasPublicUrl, HasSessions
from hybridcx.kit.errors import Forbidden, NotFound
from hybridcx.kit.ids import hash_token, new_token, utcnow
from hybridcx.models import Agent, SsoHandoff, SsoProvider, Workspace

router = APIRouter(tags=["auth"])

CALLBACK = "/api/v1/auth/oidc/callback"
HTTP_TIMEOUT = 10.0


def _http() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=HTTP_TIMEOUT, follow_redirects=False)


def _redirect_uri(runtime: HasPublicUrl, request: Request) -> str:
    return (runtime.settings.public_url or str(request.base_url)).rstrip("/") + CALLBACK


async def _provider_for(runtime: HasSessions, workspace: str | None) -> SsoProvider:
    async with runtime.sessions() as session:
        where = Workspace.slug == workspace if workspace else Workspace.is_default.is_(True)
        stmt = (
            select(SsoProvider)
            .join(Workspace, Workspace.id == SsoProvider.workspace_id)
            .where(where, SsoProvider.enabled.is_(True))
        )
        provider = (await session.execute(stmt)).scalar_one_or_none()
    if provider is None:
        raise NotFound("Single sign-on is not set up for this workspace.")
    return provider


@router.get("/api/v1/auth/oidc/status")
async def sso_status(
    runtime: RuntimeDep, workspace: str | None = Query(default=None, max_length=64)
) -> dict[str, Any]:
    """Does this workspace (default: the default one) sign staff in with SSO? For the
    sign-in pages, to show the button."""
    try:
        await _provider_for(runtime, workspace)
    except NotFound:
        return {"sso": False}
    return {"sso": True}


@router.get("/api/v1/auth/oidc/start")
async def start(
    runtime: RuntimeDep,
    request: Request,
    workspace: str | None = Query(default=None, max_length=64),
    return_to: str | None = Query(default=None, max_length=300),
) -> RedirectResponse:
    """Send the browser to the workspace's identity provider (302)."""
    target = oidc.safe_return_to(return_to)
    provider = await _provider_for(runtime, workspace)
    async with _http() as http, transaction(runtime.sessions) as session:
        url = await oidc.start(
            session,
            http,
            provider,
            redirect_uri=_redirect_uri(runtime, request),
            return_to=target,
        )
    return RedirectResponse(url, status_code=302)


@router.get("/api/v1/auth/oidc/callback")
async def callback(
    runtime: RuntimeDep,
    request: Request,
    state: str = Query(default="", max_length=200),
    code: str = Query(default="", max_length=2000),
    error: str | None = Query(default=None, max_length=200),
    error_description: str | None = Query(default=None, max_length=500),
) -> RedirectResponse:
    """The provider sends the browser back here. On success the browser goes on to the page it
    came from with a one-time code in the URL fragment (``#sso_code=``), never the staff token:
    the page trades the code for the token with ``POST /api/v1/auth/oidc/exchange`` within a
    minute, and a code is good once."""
    if not state:
        raise oidc.SsoError("The identity provider's answer has no state.")
    async with transaction(runtime.sessions) as session:
        login = await oidc.take_login(session, state)
    if error:
        raise oidc.SsoError(f"The identity provider said: {error_description or error}.")
    if not code:
        raise oidc.SsoError("The identity provider's answer has no code.")
    async with runtime.sessions() as session:
        provider = (
            await session.execute(
                select(SsoProvider).where(
                    SsoProvider.workspace_id == login.workspace_id,
                    SsoProvider.enabled.is_(True),
                )
            )
        ).scalar_one_or_none()
    if provider is None:
        raise NotFound("Single sign-on is not set up for this workspace.")
    async with _http() as http:
        meta = await oidc.discover(http, provider.issuer)
        id_token = await oidc.exchange_code(
            http,
            provider,
            meta,
            code=code,
            verifier=login.code_verifier,
            redirect_uri=_redirect_uri(runtime, request),
        )
        claims = await oidc.verify_id_token(
            http, meta, id_token, client_id=provider.client_id, nonce=login.nonce
        )
    async with transaction(runtime.sessions) as session:
        agent = await oidc.sign_in(session, provider, claims)
        handoff = await _handoff(session, agent.id, provider.issuer)
    return RedirectResponse(f"{login.return_to}#sso_code={quote(handoff)}", status_code=302)


# ---- the one-time code the staff page trades for its token -----------------------

HANDOFF_TTL = timedelta(seconds=60)


async def _handoff(session: AsyncSession, agent_id: str, issuer: str) -> str:
    now = utcnow()
    await session.execute(delete(SsoHandoff).where(SsoHandoff.expires_at < now))
    code = new_token()
    session.add(
        SsoHandoff(
            code_hash=hash_token(code),
            agent_id=agent_id,
            issuer=issuer,
            expires_at=now + HANDOFF_TTL,
        )
    )
    return code


class HandoffExchange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=200, description="The #sso_code of the redirect.")


@router.post("/api/v1/auth/oidc/exchange")
async def exchange(body: HandoffExchange, runtime: RuntimeDep) -> dict[str, Any]:
    """Trade the one-time code of a single sign-on for the staff token (once, within a
    minute). The sign-in is audited here, as ``auth.login`` with the provider."""
    async with transaction(runtime.sessions) as session:
        handoff = await session.get(SsoHandoff, hash_token(body.code))
        if handoff is None:
            raise oidc.SsoError("This sign-in code is unknown or was already used; sign in again.")
        await session.delete(handoff)
        if handoff.expires_at < utcnow():
            raise oidc.SsoError("This sign-in code has expired; sign in again.")
        agent = await session.get(Agent, handoff.agent_id)
        if agent is None or not agent.active:
            raise Forbidden("This staff account is deactivated; ask an admin to reactivate it.")
        token = await sign_in(
            session, agent, hours=runtime.staff_token_hours, details={"sso": handoff.issuer}
        )
    return {"access_token": token, "token_type": "bearer"}


# ---- admins: the workspace's identity provider ----------------------------------------------


class SsoSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    issuer: str = Field(min_length=8, max_length=500)
    client_id: str = Field(min_length=1, max_length=300)
    # Omitted: keep the stored one. Empty string: a public client (PKCE only).
    client_secret: str | None = Field(default=None, max_length=500)
    scopes: str = Field(default="openid email profile", max_length=300)
    role_claim: str | None = Field(default=None, max_length=100)
    role_map: dict[str, str] = Field(default_factory=dict, max_length=100)
    default_role: str | None = Field(default="agent")
    teams_claim: str | None = Field(default=None, max_length=100)
    auto_create: bool = True
    enabled: bool = True

    @field_validator("scopes")
    @classmethod
    def _openid(cls, value: str) -> str:
        scopes = value.split()
        if "openid" not in scopes:
            raise ValueError("the scopes must include openid")
        return " ".join(scopes)

    @field_validator("role_map")
    @classmethod
    def _roles(cls, value: dict[str, str]) -> dict[str, str]:
        bad = sorted({r for r in value.values() if r not in ROLES})
        if bad:
            raise ValueError(f"roles must be one of {', '.join(ROLES)} (not {', '.join(bad)})")
        return value

    @field_validator("default_role")
    @classmethod
    def _default(cls, value: str | None) -> str | None:
        if value is not None and value not in ROLES:
            raise ValueError(f"default_role must be one of {', '.join(ROLES)} or null")
        return value


def _read(provider: SsoProvider) -> dict[str, Any]:
    return {
        "issuer": provider.issuer,
        "client_id": provider.client_id,
        "client_secret_set": bool(provider.client_secret),
        "scopes": provider.scopes,
        "role_claim": provider.role_claim,
        "role_map": provider.role_map,
        "default_role": provider.default_role,
        "teams_claim": provider.teams_claim,
        "auto_create": provider.auto_create,
        "enabled": provider.enabled,
    }


@router.get("/api/v1/sso")
async def get_sso(staff: StaffManager, runtime: RuntimeDep) -> dict[str, Any]:
    """The workspace's identity provider settings (the client secret is never returned)."""
    async with runtime.sessions() as session:
        provider = (
            await session.execute(
                select(SsoProvider).where(SsoProvider.workspace_id == staff.workspace_id)
            )
        ).scalar_one_or_none()
    if provider is None:
        raise NotFound("Single sign-on is not set up for this workspace.")
    return _read(provider)


@router.put("/api/v1/sso")
async def put_sso(body: SsoSettings, staff: StaffManager, runtime: RuntimeDep) -> dict[str, Any]:
    """Set the workspace's OpenID Connect provider (admins). The issuer's discovery document is
    fetched first: a provider that does not answer is refused (502). Audited, without the
    secret."""
    issuer = oidc.check_issuer_url(body.issuer)
    async with _http() as http:
        await oidc.discover(http, issuer, fresh=True)
    async with transaction(runtime.sessions) as session:
        provider = (
            await session.execute(
                select(SsoProvider).where(SsoProvider.workspace_id == staff.workspace_id)
            )
        ).scalar_one_or_none()
        if provider is None:
            provider = SsoProvider(workspace_id=staff.workspace_id)
            session.add(provider)
        values = body.model_dump(exclude={"client_secret", "issuer"})
        for key, value in values.items():
            setattr(provider, key, value)
        provider.issuer = issuer
        if body.client_secret is not None:
            provider.client_secret = body.client_secret or None
        audit(
            session,
            action="sso.configured",
            actor=staff,
            target_type="workspace",
            target_id=staff.workspace_id,
            details={k: v for k, v in _read(provider).items()},
        )
        return _read(provider)


@router.delete("/api/v1/sso")
async def delete_sso(staff: StaffManager, runtime: RuntimeDep) -> dict[str, Any]:
    """Turn single sign-on off for the workspace (admins). Accounts keep their passwords."""
    async with transaction(runtime.sessions) as session:
        result = await session.execute(
            delete(SsoProvider).where(SsoProvider.workspace_id == staff.workspace_id)
        )
        if not getattr(result, "rowcount", 0):
            raise NotFound("Single sign-on is not set up for this workspace.")
        audit(
            session,
            action="sso.removed",
            actor=staff,
            target_type="workspace",
            target_id=staff.workspace_id,
        )
    return {"sso": False}
