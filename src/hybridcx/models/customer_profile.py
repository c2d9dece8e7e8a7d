from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.kit.sealed import EncryptedText
from hybridcx.models.base import Base, IdMixin, TimestampMixin


class CustomerIdentity(IdMixin, TimestampMixin, Base):
    """One way of recognising a customer (the customer profile): an email, a phone,
    an external id or a CRM id. Looked up by ``value_hash`` (the key ring's blind index of the
    normalised value); the value itself is sealed at rest like the customer's own columns."""

    __tablename__ = "customer_identities"
    __table_args__ = (
        UniqueConstraint("customer_id", "kind", "value_hash"),
        Index("ix_customer_identities_lookup", "workspace_id", "kind", "value_hash"),
    )

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # email | phone | external | crm
    value: Mapped[str] = mapped_column(EncryptedText)
    value_hash: Mapped[str] = mapped_column(String(64))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(64), default="staff")
    # The merge that brought it here (removed again by an unmerge).
    merge_id: Mapped[str | None] = mapped_column(String(36), default=None)


class CustomerMerge(IdMixin, TimestampMixin, Base):
    """Two customer records that are one person. ``proposed`` (an unverified match, for staff to
    decide), ``merged`` (``merged_id``'s history now belongs to ``survivor_id``; ``moved`` lists
    what moved so an unmerge restores it), ``unmerged`` or ``dismissed``."""

    __tablename__ = "customer_merges"
    __table_args__ = (Index("ix_customer_merges_workspace_status", "workspace_id", "status"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    survivor_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    merged_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(64))  # e.g. same_phone, verified_email
    moved: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    decided_by: Mapped[str | None] = mapped_column(String(36), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
