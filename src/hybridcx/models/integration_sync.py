from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.kit.ids import utcnow
from hybridcx.kit.sealed import EncryptedJSON
from hybridcx.models.base import Base, IdMixin, TimestampMixin


class IntegrationSync(IdMixin, TimestampMixin, Base):
    """One thing to send to a connected system: a resolved conversation becomes a CRM ticket
    (``ticket``), a customer change is pushed to the CRM contact (``contact``), an erasure asks
    the CRM to forget the contact (``erase``). Idempotent per ``(connector_id, source_id)``; retried with backoff until it is
    ``done`` or, after the last attempt, ``dead`` (the dead-letter list admins see)."""

    __tablename__ = "integration_syncs"
    __table_args__ = (UniqueConstraint("connector_id", "source_id"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"), index=True)
    connector_id: Mapped[str] = mapped_column(ForeignKey("integration_connectors.id"))
    source_id: Mapped[str] = mapped_column(String(36))  # the conversation event
    source_at: Mapped[datetime] = mapped_column(DateTime)
    conversation_id: Mapped[str | None] = mapped_column(String(36), default=None)
    customer_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    fields: Mapped[list[str] | None] = mapped_column(JSON, default=None)  # a push: what changed
    # An erasure: the emails the CRM is asked to forget (the customer row is gone by then);
    # cleared once sent or discarded.
    payload: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON, default=None)
    # ticket | timeline | status | csat | callback | contact | erase
    action: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|done|dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    external_id: Mapped[str | None] = mapped_column(String(100), default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
