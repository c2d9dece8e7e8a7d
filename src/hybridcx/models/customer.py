from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.kit.ids import utcnow
from hybridcx.models.base import Base, IdMixin, TimestampMixin


class Customer(IdMixin, TimestampMixin, Base):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("workspace_id", "email", name="uq_customers_workspace_email"),
    )

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    external_id: Mapped[str | None] = mapped_column(String(200), default=None)
    vip: Mapped[bool] = mapped_column(default=False)
    lifetime_value: Mapped[float] = mapped_column(Float, default=0.0)
    human_only: Mapped[bool] = mapped_column(default=False)
    consents: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Operator-defined segment attributes (language, region, plan, ...): fairness audits group by
    # them (hybridcx.fairness). Added by migration 0009.
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
