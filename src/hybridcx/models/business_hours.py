from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.kit.ids import utcnow
from hybridcx.models.base import Base, IdMixin, TimestampMixin


class BusinessHours(IdMixin, TimestampMixin, Base):
    """A workspace's opening hours (``team`` = "") or one team's, which override the
    workspace's for that team's conversations (hybridcx.hours). Weekly spans and
    dated exceptions are stored as the API takes them (hours.calendar validates them)."""

    __tablename__ = "business_hours"
    __table_args__ = (UniqueConstraint("workspace_id", "team"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    team: Mapped[str] = mapped_column(String(64), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    weekly: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    exceptions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Workspace row only: close a conversation left waiting on the customer this long (None: off).
    idle_close_minutes: Mapped[int | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
