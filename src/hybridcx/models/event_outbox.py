from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.kit.ids import utcnow
from hybridcx.kit.sealed import EncryptedJSON
from hybridcx.models.base import Base


class EventOutboxRow(Base):
    """The live events of one transaction, written in that transaction (ops.outbox).

    The process that wrote the row publishes its events right after the commit; a relay in
    every process publishes the rows a dead process (heartbeat expired) left undelivered, and
    the WebSockets replay missed events from here after a reconnect. Rows are kept for a short
    retention window and deleted in batches."""

    __tablename__ = "event_outbox"
    __table_args__ = (
        Index("ix_event_outbox_workspace_id", "workspace_id", "id"),
        Index("ix_event_outbox_undelivered", "delivered", "id"),
        # Ids are event ids: never reused, even once retention has emptied the table.
        {"sqlite_autoincrement": True},
    )

    # Monotonic: the order of the events, and the first part of their event ids.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    workspace_id: Mapped[str | None] = mapped_column(String(36), default=None)
    # Set when every event of the row concerns one conversation (replay and erasure use it).
    conversation_id: Mapped[str | None] = mapped_column(String(36), default=None)
    # The server process that wrote it (server_processes.id, no foreign key: the process row
    # goes when the process exits); None: a process without heartbeat, delivered at once.
    process_id: Mapped[str | None] = mapped_column(String(36), default=None)
    delivered: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    # [{"channels": [...], "payload": {...}}, ...]: the payloads carry customer text, sealed.
    events: Mapped[list[dict[str, Any]]] = mapped_column(EncryptedJSON)
