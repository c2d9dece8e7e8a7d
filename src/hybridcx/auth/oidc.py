"""OpenID Connect sign-in for staff: authorization code flow with PKCE (RFC 7636), per workspace.

``start`` fetches the provider's discovery document, keeps a one-time ``state`` (stored hashed),
a ``nonce`` and the PKCE ``code_verifier`` (sealed at rest) for ten minutes, and sends the
browser to the provider's authorization endpoint with the S256 code challenge. ``finish`` takes
the state back once (a second use, an unknown or an expired state is refused), swaps the code
for tokens at the token endpoint with the verifier, and accepts the ID token only if its
signature verifies against a key of the provider's JWKS (RS256/ES256; the JWKS is fetched again
once for an unknown key id: rotation) and its ``iss``, ``aud``, ``exp``, ``iat`` and ``nonce``
are right. The person is then found by their ``sub`` (or, the first time, their verified email)
in the workspace, or created if the workspace allows it; role and teams follow the configured
claims at every sign-in. A deactivated account is refused.

Discovery documents and key sets are cached per process for five minutes.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode, urlparse

import httpx
import structlog
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.audit import record as audit
from hybridcx.auth.permissions import ROLES
from hybridcx.kit.errors import AppError, Forbidden, InvalidInput
from hybridcx.kit.ids import hash_token, new_id, new_token, utcnow
from hybridcx.kit.security import hash_password
from hybridcx.models import Agent, OidcLogin, SsoProvider

log = structlog.get_logger(__name__)

LOGIN_TTL = timedelta(minutes=10)
CACHE_SECONDS = 300.0
ALGORITHMS = ["RS256", "ES256"]
# When a claim maps to several roles, the one that can do most wins.
ROLE_RANK = {"admin": 4, "supervisor": 3, "agent": 2, "auditor": 1}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class SsoError(AppError):
    """The identity provider's answer cannot be used (the message says why)."""

    status_code = 400
    code = "sso_failed"


class ProviderUnreachable(AppError):
    status_code = 502
    code = "sso_provider_unreachable"


@dataclass(frozen=True)
class Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


_discovery: dict[str, tuple[float, Metadata]] = {}
_keysets: dict[str, tuple[float, KeySet]] = {}


def check_issuer_url(issuer: str) -> str:
    """An https URL (plain http only on loopback, for a local provider)."""
    issuer = issuer.strip().rstrip("/")
    url = urlparse(issuer)
    if url.scheme not in ("https", "http") or not url.hostname:
        raise InvalidInput("The issuer must be an https:// URL.")
    if url.scheme == "http" and url.hostname not in LOOPBACK:
        raise InvalidInput("The issuer must be an https:// URL (http only on loopback).")
    return issuer


async def _get_json(http: httpx.AsyncClient, url: str, what: str) -> dict[str, Any]:
    try:
        r = await http.get(url)
    except httpx.HTTPError as exc:
        raise ProviderUnreachable(f"The identity provider's {what} did not answer: {exc}") from exc
    if r.status_code != 200:
        raise ProviderUnreachable(f"The identity provider's {what} answered {r.status_code}.")
    try:
        body = r.json()
    except ValueError as exc:
        raise ProviderUnreachable(f"The identity provider's {what} is not JSON.") from exc
    if not isinstance(body, dict):
        raise ProviderUnreachable(f"The identity provider's {what} is not a JSON object.")
    return body


async def discover(http: httpx.AsyncClient, issuer: str, *, fresh: bool = False) -> Metadata:
    issuer = check_issuer_url(issuer)
    cached = _discovery.get(issuer)
    if cached and not fresh and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    doc = await _get_json(http, f"{issuer}/.well-known/openid-configuration", "discovery document")
    if str(doc.get("issuer", "")).rstrip("/") != issuer:
        raise ProviderUnreachable(
            f"The discovery document names issuer {doc.get('issuer')!r}, not {issuer!r}."
        )
    try:
        meta = Metadata(
            issuer=issuer,
            authorization_endpoint=str(doc["authorization_endpoint"]),
            token_endpoint=str(doc["token_endpoint"]),
            jwks_uri=str(doc["jwks_uri"]),
        )
    except KeyError as exc:
        raise ProviderUnreachable(f"The discovery document has no {exc.args[0]}.") from exc
    _discovery[issuer] = (time.monotonic(), meta)
    return meta


async def keyset(http: httpx.AsyncClient, jwks_uri: str, *, fresh: bool = False) -> KeySet:
    cached = _keysets.get(jwks_uri)
    if cached and not fresh and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    try:
        keys = KeySet.import_key_set(await _get_json(http, jwks_uri, "key set (JWKS)"))  # type: ignore[arg-type]
    except JoseError as exc:
        raise ProviderUnreachable(f"The identity provider's key set is not usable: {exc}") from exc
    _keysets[jwks_uri] = (time.monotonic(), keys)
    return keys


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def safe_return_to(value: str | None) -> str:
    """Only a path of this server (no scheme, no host, no '//' that browsers read as one)."""
    value = (value or "/desk").strip()
    if not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 300:
        raise InvalidInput("return_to must be a path of this server, like /desk.")
    return value


async def start(
    session: AsyncSession,
    http: httpx.AsyncClient,
    provider: SsoProvider,
    *,
    redirect_uri: str,
    return_to: str,
) -> str:
    """Where to send the browser: the provider's authorization endpoint."""
    meta = await discover(http, provider.issuer)
    state, nonce = new_token(), new_token(24)
    verifier, challenge = pkce_pair()
    now = utcnow()
    await session.execute(delete(OidcLogin).where(OidcLogin.expires_at < now))
    session.add(
        OidcLogin(
            state_hash=hash_token(state),
            workspace_id=provider.workspace_id,
            nonce=nonce,
            code_verifier=verifier,
            return_to=return_to,
            expires_at=now + LOGIN_TTL,
        )
    )
    query = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": redirect_uri,
        "scope": provider.scopes,
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    sep = "&" if "?" in meta.authorization_endpoint else "?"
    return f"{meta.authorization_endpoint}{sep}{urlencode(query)}"


async def take_login(session: AsyncSession, state: str) -> OidcLogin:
    """The sign-in this state was given to; used once."""
    login = await session.get(OidcLogin, hash_token(state))
    if login is None:
        raise SsoError("This sign-in is unknown or was already used; start again.")
    await session.delete(login)
    if login.expires_at < utcnow():
        raise SsoError("This sign-in took too long; start again.")
    return login


async def exchange_code(
    http: httpx.AsyncClient,
    provider: SsoProvider,
    meta: Metadata,
    *,
    code: str,
    verifier: str,
    redirect_uri: str,
) -> str:
    """The ID token the provider gives for this code."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": provider.client_id,
        "code_verifier": verifier,
    }
    # client_secret_basic for a confidential client; a public one proves itself with PKCE only.
    headers = {}
    if provider.client_secret:
        pair = f"{quote(provider.client_id, safe='')}:{quote(provider.client_secret, safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    try:
        r = await http.post(meta.token_endpoint, data=form, headers=headers)
    except httpx.HTTPError as exc:
        raise ProviderUnreachable(f"The identity provider's token endpoint failed: {exc}") from exc
    body: dict[str, Any] = {}
    try:
        parsed = r.json()
        body = parsed if isinstance(parsed, dict) else {}
    except ValueError:
        pass
    if r.status_code != 200:
        reason = body.get("error_description") or body.get("error") or f"HTTP {r.status_code}"
        raise SsoError(f"The identity provider refused the code: {reason}.")
    id_token = body.get("id_token")
    if not isinstance(id_token, str):
        raise SsoError("The identity provider sent no ID token.")
    return id_token


async def verify_id_token(
    http: httpx.AsyncClient, meta: Metadata, id_token: str, *, client_id: str, nonce: str
) -> dict[str, Any]:
    """The ID token's claims, once its signature and claims are right."""
    try:
        try:
            token = jwt.decode(id_token, await keyset(http, meta.jwks_uri), algorithms=ALGORITHMS)
        except InvalidKeyIdError:  # the provider rotated its keys
            token = jwt.decode(
                id_token, await keyset(http, meta.jwks_uri, fresh=True), algorithms=ALGORITHMS
            )
    except JoseError as exc:
        log.warning("sso.id_token_rejected", issuer=meta.issuer, error=exc.error)
        raise SsoError(f"The ID token's signature does not verify ({exc.error}).") from exc
    claims: dict[str, Any] = dict(token.claims)
    registry = JWTClaimsRegistry(
        leeway=60,
        iss={"essential": True, "value": meta.issuer},
        aud={"essential": True, "value": client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise SsoError(f"The ID token is not for this sign-in ({exc.description}).") from exc
    azp = claims.get("azp")
    if isinstance(claims.get("aud"), list) and len(claims["aud"]) > 1 and azp != client_id:
        raise SsoError("The ID token was issued to another client (azp).")
    return claims


def _values(claim: Any) -> list[str]:
    if isinstance(claim, str):
        return [claim]
    if isinstance(claim, list):
        return [str(v) for v in claim if isinstance(v, str | int)]
    return []


def mapped_role(provider: SsoProvider, claims: dict[str, Any]) -> str | None:
    if provider.role_claim:
        roles = [provider.role_map.get(v) for v in _values(claims.get(provider.role_claim))]
        known = [r for r in roles if r in ROLES]
        if known:
            return max(known, key=lambda r: ROLE_RANK.get(r, 0))
    return provider.default_role if provider.default_role in ROLES else None


def mapped_teams(provider: SsoProvider, claims: dict[str, Any]) -> list[str] | None:
    if not provider.teams_claim:
        return None
    teams = {v.strip()[:64] for v in _values(claims.get(provider.teams_claim)) if v.strip()}
    return sorted(teams)


async def sign_in(session: AsyncSession, provider: SsoProvider, claims: dict[str, Any]) -> Agent:
    """The staff account these claims are, created or updated from them."""
    subject = f"{provider.issuer} {claims['sub']}"
    email = str(claims.get("email") or "").strip().lower()
    if claims.get("email_verified") is False:
        raise Forbidden("Your identity provider has not verified your email address.")
    agent = (
        await session.execute(
            select(Agent).where(
                Agent.oidc_subject == subject, Agent.workspace_id == provider.workspace_id
            )
        )
    ).scalar_one_or_none()
    if agent is None and email:
        by_email = (
            await session.execute(select(Agent).where(Agent.email == email))
        ).scalar_one_or_none()
        if by_email is not None and by_email.workspace_id != provider.workspace_id:
            raise Forbidden("This email has a staff account in another workspace.")
        if by_email is not None and by_email.oidc_subject not in (None, subject):
            raise Forbidden("This staff account is linked to another identity.")
        agent = by_email
    role = mapped_role(provider, claims)
    teams = mapped_teams(provider, claims)
    if agent is None:
        if not provider.auto_create:
            raise Forbidden("You have no staff account here; ask an admin to add you.")
        if not email:
            raise SsoError("The identity provider sent no email address (add the email scope).")
        if role is None:
            raise Forbidden("Your identity provider gives you no role in this workspace.")
        agent = Agent(
            id=new_id(),
            workspace_id=provider.workspace_id,
            email=email,
            name=str(claims.get("name") or email)[:200],
            role=role,
            password_hash=hash_password(new_token()),  # nobody knows it: SSO only
            skills=["general"],
            capacity=3,
            status="away",
            teams=teams or [],
            oidc_subject=subject,
        )
        session.add(agent)
        await session.flush()
        audit(
            session,
            action="staff.created",
            actor_type="sso",
            workspace_id=provider.workspace_id,
            target_type="staff",
            target_id=agent.id,
            details={"email": email, "role": role, "teams": teams or [], "issuer": provider.issuer},
        )
        return agent
    if not agent.active:
        raise Forbidden("This staff account is deactivated; ask an admin to reactivate it.")
    before = {"role": agent.role, "teams": list(agent.teams or [])}
    agent.oidc_subject = subject
    if provider.role_claim:
        if role is None:
            raise Forbidden("Your identity provider gives you no role in this workspace.")
        agent.role = role
    if teams is not None:
        agent.teams = teams
    after = {"role": agent.role, "teams": list(agent.teams or [])}
    if after != before:
        audit(
            session,
            action="staff.access_changed",
            actor_type="sso",
            workspace_id=agent.workspace_id,
            target_type="staff",
            target_id=agent.id,
            details={"before": before, "after": after, "issuer": provider.issuer},
        )
    return agent
