from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.kit.ids import utcnow
from hybridcx.models.base import Base, IdMixin


class AuditEntry(IdMixin, Base):
    """One sensitive action (append-only: database triggers reject UPDATE and DELETE)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_workspace_at", "workspace_id", "at"),)

    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    workspace_id: Mapped[str | None] = mapped_column(String(36), default=None)
    actor_type: Mapped[str] = mapped_column(String(20))  # staff | customer | system | cli
    actor_id: Mapped[str | None] = mapped_column(String(64), default=None)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(32), default=None)
    target_id: Mapped[str | None] = mapped_column(String(64), default=None)
    ip: Mapped[str | None] = mapped_column(String(64), default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
