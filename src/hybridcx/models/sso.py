from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.kit.sealed import EncryptedText
from hybridcx.models.base import Base, IdMixin, TimestampMixin


class SsoProvider(IdMixin, TimestampMixin, Base):
    """A workspace's OpenID Connect identity provider for staff sign-in (auth/oidc.py)."""

    __tablename__ = "sso_providers"

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"), unique=True)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(300))
    client_secret: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    scopes: Mapped[str] = mapped_column(String(300), default="openid email profile")
    # The claim holding the person's role(s) or groups, and how its values map to hybridcx
    # roles ({"support-admins": "admin", ...}); the first value that maps wins, by role rank.
    role_claim: Mapped[str | None] = mapped_column(String(100), default=None)
    role_map: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # None: a person none of whose claim values map gets no access.
    default_role: Mapped[str | None] = mapped_column(String(20), default=None)
    # The claim holding team names (a list or one string); None: teams are not synced.
    teams_claim: Mapped[str | None] = mapped_column(String(100), default=None)
    # Create a staff account on first sign-in (else only existing accounts may sign in).
    auto_create: Mapped[bool] = mapped_column(Boolean, default=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class OidcLogin(Base):
    """One sign-in on its way through the identity provider: what the callback must check."""

    __tablename__ = "oidc_logins"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(100))
    code_verifier: Mapped[str] = mapped_column(EncryptedText)
    return_to: Mapped[str] = mapped_column(String(300), default="/desk")
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class MfaChallenge(Base):
    """A password sign-in that still needs its second factor (or, where the workspace requires
    one, its enrolment). Opaque token, stored hashed, short-lived."""

    __tablename__ = "mfa_challenges"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
