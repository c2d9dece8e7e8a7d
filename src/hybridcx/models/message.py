from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy import (
    text as sql_text,
)
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.kit.ids import new_id, utcnow
from hybridcx.kit.sealed import EncryptedJSON, EncryptedText
from hybridcx.models.base import Base


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "idempotency_key", name="uq_messages_idempotency"),
        # A provider's message id (channel-prefixed): a redelivered webhook is stored once.
        UniqueConstraint("workspace_id", "external_id", name="uq_messages_external_id"),
        # The leases a process holds now (answering_by is cleared when the answer is stored).
        Index(
            "ix_messages_answering_by",
            "answering_by",
            postgresql_where=sql_text("answering_by IS NOT NULL"),
            sqlite_where=sql_text("answering_by IS NOT NULL"),
        ),
    )

    # Internal, monotonic order; never exposed (public ids are random).
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, default=new_id, insert_sentinel=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    author: Mapped[str] = mapped_column(String(20))  # customer|ai|agent|system
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id"), default=None)
    text: Mapped[str] = mapped_column(EncryptedText)  # sealed at rest; cards masked on ingest
    internal: Mapped[bool] = mapped_column(default=False)
    # Quick replies offered with an AI message (flow choices such as appointment slots).
    buttons: Mapped[list[str]] = mapped_column(JSON, default=list)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), default=None)
    # The customer message that started the turn this message belongs to.
    turn_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    # For a customer message: the turn's response, so an idempotent retry returns it unchanged.
    turn_response: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON, default=None)
    # Lease taken by the request answering this message, so concurrent retries answer it once.
    answering_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    # The server process holding that lease (server_processes.id, no foreign key: the row goes
    # when the process exits). Once that process stops beating, the lease is taken over at once.
    answering_by: Mapped[str | None] = mapped_column(String(36), default=None)
    # Channels: the provider's id of this message ("sms:SM…") and what the channel reported
    # (provider ids, delivery status or error, transcript segment details).
    external_id: Mapped[str | None] = mapped_column(String(255), default=None)
    channel_meta: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
