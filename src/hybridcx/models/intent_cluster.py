from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.models.base import Base, IdMixin, TimestampMixin


class IntentCluster(IdMixin, TimestampMixin, Base):
    """A group of similar messages the AI could not handle, found by intent discovery.

    suggestion: "new_intent" (label from its keywords) or "existing_intent" (more examples for
    `nearest_intent`). status: suggested -> accepted | rejected (by an admin)."""

    __tablename__ = "intent_clusters"
    __table_args__ = (Index("ix_intent_clusters_workspace_status", "workspace_id", "status"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    status: Mapped[str] = mapped_column(String(20), default="suggested")
    suggestion: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(100))
    nearest_intent: Mapped[str | None] = mapped_column(String(100), default=None)
    similarity: Mapped[float] = mapped_column(Float, default=0.0)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    # [{message_id, conversation_id, text}] with PII removed
    examples: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    accepted_intent: Mapped[str | None] = mapped_column(String(100), default=None)
    decided_by: Mapped[str | None] = mapped_column(String(36), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
