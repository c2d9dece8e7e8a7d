"""TOTP second factor for local (password) staff accounts (RFC 6238, with pyotp).

Enrolment: a new base32 secret is sealed at rest on the account (``Agent.mfa_secret``) and shown
once as an ``otpauth://`` URI and a QR code; the first valid code turns it on and returns ten
one-time recovery codes, of which only SHA-256 digests are kept.

Sign-in: when the account has a second factor, or its workspace requires one
(``Workspace.mfa_required``), a right password gives no staff token but a short-lived
``mfa_token`` (an :class:`MfaChallenge`); ``POST /api/v1/auth/mfa/verify`` with it and a code
gives the token. Where the workspace requires a factor the account has not set up yet, the same
``mfa_token`` lets the person enrol first. A code is accepted once: the last accepted time step
is kept, so a code seen over a shoulder cannot be replayed within its 30 seconds. Wrong codes
count against the per-account login throttle (auth/throttle.py).
"""

from __future__ import annotations

import hmac
import io
import secrets
import time
from datetime import timedelta

import pyotp
import segno
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.kit.ids import hash_token, new_token, utcnow
from hybridcx.models import Agent, MfaChallenge, Workspace

PERIOD = 30
DIGITS = 6
# One step either side: a phone clock a little off, or a code typed as it changed.
DRIFT_STEPS = 1
RECOVERY_CODES = 10
CHALLENGE_TTL = timedelta(minutes=5)
ISSUER = "hybridcx"


def new_secret() -> str:
    return pyotp.random_base32()


def otpauth_uri(secret: str, *, email: str, workspace: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD).provisioning_uri(
        name=email, issuer_name=f"{ISSUER} ({workspace})"
    )


def qr_svg(uri: str) -> str:
    """The otpauth URI as a standalone SVG QR code (with its namespace, so it also works as an
    image's data URL), for an authenticator app's camera."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", xmldecl=False, scale=4, border=2)
    return out.getvalue().decode()


def _digits(code: str) -> str:
    return "".join(ch for ch in code if not ch.isspace())


def check_totp(agent: Agent, code: str, *, secret: str | None = None) -> bool:
    """Is ``code`` the account's current TOTP (within one step of drift) and not used yet?
    Marks its time step used."""
    secret = secret or agent.mfa_secret
    code = _digits(code)
    if not secret or len(code) != DIGITS or not code.isdigit():
        return False
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD)
    now_step = int(time.time()) // PERIOD
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * PERIOD), code):
            if agent.mfa_last_step is not None and step <= agent.mfa_last_step:
                return False  # replayed
            agent.mfa_last_step = step
            return True
    return False


def _normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def new_recovery_codes() -> tuple[list[str], list[str]]:
    """Ten codes like ``k7q2-m9x4-p3zt`` (about 60 bits each) and the digests to keep."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(alphabet) for _ in range(12))
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    return codes, [hash_token(_normalise_recovery(c)) for c in codes]


def use_recovery_code(agent: Agent, code: str) -> bool:
    """Spend one recovery code: true once per code."""
    digest = hash_token(_normalise_recovery(code))
    left = list(agent.mfa_recovery_hashes or [])
    for stored in left:
        if hmac.compare_digest(stored, digest):
            left.remove(stored)
            agent.mfa_recovery_hashes = left
            return True
    return False


def enable(agent: Agent) -> list[str]:
    """Turn the pending secret on; returns the recovery codes to show once."""
    codes, digests = new_recovery_codes()
    agent.mfa_enabled_at = utcnow()
    agent.mfa_recovery_hashes = digests
    return codes


def disable(agent: Agent) -> None:
    agent.mfa_secret = None
    agent.mfa_enabled_at = None
    agent.mfa_last_step = None
    agent.mfa_recovery_hashes = []


async def required_for(session: AsyncSession, agent: Agent) -> bool:
    """Does this password sign-in need a second factor (the account's or its workspace's)?"""
    if agent.mfa_enabled_at is not None:
        return True
    return bool(await workspace_requires(session, agent.workspace_id))


async def workspace_requires(session: AsyncSession, workspace_id: str) -> bool:
    stmt = select(Workspace.mfa_required).where(Workspace.id == workspace_id)
    return bool((await session.execute(stmt)).scalar_one_or_none())


async def start_challenge(session: AsyncSession, agent_id: str) -> str:
    token = new_token()
    now = utcnow()
    await session.execute(delete(MfaChallenge).where(MfaChallenge.expires_at < now))
    session.add(
        MfaChallenge(
            token_hash=hash_token(token), agent_id=agent_id, expires_at=now + CHALLENGE_TTL
        )
    )
    return token


async def challenged_agent(session: AsyncSession, token: str) -> Agent | None:
    """The active account a live ``mfa_token`` was given to."""
    stmt = (
        select(Agent)
        .join(MfaChallenge, MfaChallenge.agent_id == Agent.id)
        .where(
            MfaChallenge.token_hash == hash_token(token),
            MfaChallenge.expires_at > utcnow(),
            Agent.active.is_(True),
        )
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def end_challenge(session: AsyncSession, token: str) -> None:
    await session.execute(delete(MfaChallenge).where(MfaChallenge.token_hash == hash_token(token)))
