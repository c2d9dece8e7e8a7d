from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

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
    # Teams (access9): an agent sees the conversations of these teams, plus those without one.
    teams: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # Where an accepted phone call rings this person: an E.164 number, or client:<identity>
    # for a Twilio Client (a softphone). None: calls are not connected to them by phone.
    phone: Mapped[str | None] = mapped_column(String(200), default=None)
