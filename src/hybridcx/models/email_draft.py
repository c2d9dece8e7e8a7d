from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.kit.ids import new_id, utcnow
from hybridcx.kit.sealed import EncryptedText
from hybridcx.models.base import Base


class EmailDraft(Base):
    """A reply the AI wrote for an email it may not send by itself: it waits for an agent to
    edit and approve it (then it goes out as the agent's reply) or discard it."""

    __tablename__ = "email_drafts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    # The customer message it answers.
    reply_to_message_id: Mapped[str | None] = mapped_column(String(36), default=None)
    status: Mapped[str] = mapped_column(
        String(20), default="pending"
    )  # pending|sent|discarded|superseded
    # Sealed at rest like message text (privacy).
    text: Mapped[str] = mapped_column(EncryptedText)
    original_text: Mapped[str] = mapped_column(EncryptedText)
    intent: Mapped[str | None] = mapped_column(String(100), default=None)
    tier: Mapped[int] = mapped_column(default=1)
    grounded: Mapped[bool] = mapped_column(default=False)
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    decided_by: Mapped[str | None] = mapped_column(String(36), default=None)
    sent_message_id: Mapped[str | None] = mapped_column(String(36), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
