from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.models.base import Base, IdMixin, TimestampMixin


class Approval(IdMixin, TimestampMixin, Base):
    """A consequential AI action (a refund, an account change) held for a person's decision.

    pending -> approved (then executed or failed) | rejected."""

    __tablename__ = "approvals"
    __table_args__ = (Index("ix_approvals_workspace_status", "workspace_id", "status"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    action: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    amount: Mapped[float | None] = mapped_column(Float, default=None)
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("agents.id"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
