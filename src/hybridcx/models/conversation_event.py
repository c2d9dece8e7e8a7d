from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.kit.ids import new_id, utcnow
from hybridcx.kit.sealed import SealedPayload
from hybridcx.models.base import Base


class ConversationEvent(Base):
    """Append-only log of everything that happens to a conversation; analytics read from it."""

    __tablename__ = "conversation_events"
    __table_args__ = (Index("ix_conversation_events_workspace_type", "workspace_id", "type"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    type: Mapped[str] = mapped_column(String(50))
    actor: Mapped[str] = mapped_column(String(20))  # customer|ai|agent|system
    actor_id: Mapped[str | None] = mapped_column(String(36), default=None)
    # Free-text fields (text, note, summary, comment...) sealed; the rest stays queryable JSON.
    data: Mapped[dict[str, Any]] = mapped_column(SealedPayload, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
