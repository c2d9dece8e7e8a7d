from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.kit.sealed import EncryptedText
from hybridcx.models.base import Base, IdMixin, TimestampMixin


class Agent(IdMixin, TimestampMixin, Base):
    """A staff member: agent, supervisor or admin."""

    __tablename__ = "agents"

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="agent")
    password_hash: Mapped[str] = mapped_column(String(200))
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    capacity: Mapped[int] = mapped_column(default=3)
    # available | away. Being *online* is separate: a live desk connection (AgentPresence).
    status: Mapped[str] = mapped_column(String(20), default="away")
    # When the agent last became free; the longest-idle strategy picks the oldest.
    idle_since: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    # Teams: an agent sees the conversations of these teams, plus those without one.
    teams: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # Where an accepted phone call rings this person: an E.164 number, or client:<identity>
    # for a Twilio Client (a softphone). None: calls are not connected to them by phone.
    phone: Mapped[str | None] = mapped_column(String(200), default=None)
    # Staff administration: a deactivated account cannot sign in and its tokens are
    # deleted when it is deactivated; reactivating does not bring them back.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    # TOTP second factor (auth/mfa.py): the base32 secret, sealed at rest. Set and not yet
    # enabled while enrolment waits for the first code.
    mfa_secret: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    mfa_enabled_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    # The last accepted time step: a code is accepted once (no replay within its 30 s).
    mfa_last_step: Mapped[int | None] = mapped_column(default=None)
    # SHA-256 of the unused one-time recovery codes (the codes are shown once).
    mfa_recovery_hashes: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # OpenID Connect (auth/oidc.py): "<issuer> <sub>" of the identity this account signs in with.
    oidc_subject: Mapped[str | None] = mapped_column(String(600), default=None, index=True)
