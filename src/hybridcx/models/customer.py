from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.kit.ids import utcnow
from hybridcx.kit.normalize import normalize_email, normalize_phone
from hybridcx.kit.sealed import EncryptedText, keyring_for
from hybridcx.models.base import Base, IdMixin, TimestampMixin


class Customer(IdMixin, TimestampMixin, Base):
    __tablename__ = "customers"
    __table_args__ = (
        # Privacy: email is sealed, so uniqueness and lookups use its blind index.
        UniqueConstraint("workspace_id", "email_hash", name="uq_customers_workspace_email_hash"),
        Index("ix_customers_workspace_phone_hash", "workspace_id", "phone_hash"),
    )

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"), index=True)
    # Personal fields are encrypted at rest; look customers up through customers/repository.py.
    # email is None for a customer known only by phone (SMS, calls); one record across channels.
    email: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    name: Mapped[str] = mapped_column(EncryptedText, default="")
    phone: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    external_id: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    # HMAC-SHA256 of the normalised value (set on flush below); None without an email/phone.
    email_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    phone_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    erased_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    vip: Mapped[bool] = mapped_column(default=False)
    lifetime_value: Mapped[float] = mapped_column(Float, default=0.0)
    human_only: Mapped[bool] = mapped_column(default=False)
    consents: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Operator-defined segment attributes (language, region, plan, ...): fairness audits group by
    # them (hybridcx.fairness). Added by migration 0009.
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Contact preferences staff record (channel, language, contact hours): profiles/preferences.py.
    preferences: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


@event.listens_for(Customer, "before_insert")
@event.listens_for(Customer, "before_update")
def _blind_indexes(_mapper: object, connection: Any, target: Customer) -> None:
    """Keep email_hash/phone_hash in step with the values, whoever sets them."""
    if target.erased_at is not None:
        return  # an erased customer's tombstone keeps its random placeholder index
    ring = keyring_for(connection.dialect)
    target.email_hash = ring.blind_index(normalize_email(target.email)) if target.email else None
    target.phone_hash = ring.blind_index(normalize_phone(target.phone)) if target.phone else None
