from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.models.base import Base, IdMixin, TimestampMixin


class WebhookDelivery(IdMixin, TimestampMixin, Base):
    """One event for one endpoint; ``attempts`` records every try (time, status, error)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),
        UniqueConstraint("endpoint_id", "source_id"),
    )

    endpoint_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True
    )
    workspace_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(64))
    # What it reports (a conversation event's or a message's id) and when that happened: the
    # worker never enqueues the same source twice for one endpoint.
    source_id: Mapped[str] = mapped_column(String(64))
    source_at: Mapped[datetime] = mapped_column(DateTime)
    body: Mapped[str] = mapped_column(Text)  # the exact bytes signed and sent (JSON text)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|delivered|failed
    attempt_count: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    attempts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
