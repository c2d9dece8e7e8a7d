from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.kit.ids import new_id, utcnow
from hybridcx.kit.sealed import EncryptedJSON, EncryptedText
from hybridcx.models.base import Base


class EmailRecord(Base):
    """Every mail the email channel received or sent, by its RFC 5322 Message-ID: how a reply
    (In-Reply-To / References) finds its conversation, and the record of mail that was
    deliberately not answered (auto-replies, bounces)."""

    __tablename__ = "email_messages"
    __table_args__ = (
        Index("ix_email_messages_workspace_rfc_id", "workspace_id", "rfc_message_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    conversation_id: Mapped[str | None] = mapped_column(
        ForeignKey("conversations.id"), default=None, index=True
    )
    # The hybridcx message it carried (the customer's, or the AI's / agent's reply).
    message_id: Mapped[str | None] = mapped_column(String(36), default=None)
    direction: Mapped[str] = mapped_column(String(3))  # in|out
    rfc_message_id: Mapped[str] = mapped_column(String(255))
    thread_key: Mapped[str | None] = mapped_column(String(255), default=None)
    # in: processed|duplicate|ignored; out: sent|failed
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(300), default=None)
    # The addresses (the customer's on mail we sent) and the subject are personal data: sealed
    # at rest.
    from_addr: Mapped[str] = mapped_column(EncryptedText, default="")
    to_addr: Mapped[str] = mapped_column(EncryptedText, default="")
    subject: Mapped[str] = mapped_column(EncryptedText, default="")
    meta: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
