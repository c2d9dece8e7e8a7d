from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.models.base import Base, IdMixin


class ErasureRequest(IdMixin, Base):
    """A GDPR/CCPA erasure, tracked until every step is done (due 30 days after the request).

    ``customer_ref`` is the customer id while the request is open and only an HMAC of it once
    the erasure completed, so the record proves the erasure without pointing at anyone."""

    __tablename__ = "erasure_requests"
    __table_args__ = (Index("ix_erasure_requests_workspace_status", "workspace_id", "status"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    customer_ref: Mapped[str] = mapped_column(String(64), index=True)
    requested_by: Mapped[str | None] = mapped_column(String(36), default=None)
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    due_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|completed|failed
    completed_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text, default=None)
