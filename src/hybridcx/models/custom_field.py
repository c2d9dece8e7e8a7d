"""Custom fields: typed fields a workspace defines for conversations or customers,
and their values (sealed at rest: a value may be personal data)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.kit.ids import utcnow
from hybridcx.kit.sealed import EncryptedJSON
from hybridcx.models.base import Base, IdMixin, TimestampMixin


class CustomFieldDefinition(IdMixin, TimestampMixin, Base):
    __tablename__ = "custom_field_definitions"
    __table_args__ = (
        UniqueConstraint(
            "workspace_id", "entity", "key", name="uq_custom_field_definitions_workspace_key"
        ),
    )

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    entity: Mapped[str] = mapped_column(String(20))  # conversation|customer
    key: Mapped[str] = mapped_column(String(50))
    label: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(20))  # text|number|boolean|date|select
    options: Mapped[list[str]] = mapped_column(JSON, default=list)  # the choices of a select


class CustomFieldValue(IdMixin, TimestampMixin, Base):
    __tablename__ = "custom_field_values"
    __table_args__ = (
        UniqueConstraint("conversation_id", "key", name="uq_custom_field_values_conversation_key"),
        UniqueConstraint("customer_id", "key", name="uq_custom_field_values_customer_key"),
        Index("ix_custom_field_values_workspace_id", "workspace_id"),
    )

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    # Exactly one of the two is set (the definition's entity).
    conversation_id: Mapped[str | None] = mapped_column(
        ForeignKey("conversations.id"), default=None
    )
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), default=None)
    key: Mapped[str] = mapped_column(String(50))
    value: Mapped[Any] = mapped_column(EncryptedJSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
