"""The demo company's own systems (orders, accounts, appointment slots).

They stand in for a real company's order system and CRM: hybridcx reads them through the demo
backend module only, the way it would call a customer's API.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.models.base import Base, IdMixin


class DemoOrder(IdMixin, Base):
    __tablename__ = "demo_orders"
    __table_args__ = (UniqueConstraint("workspace_id", "number", name="uq_demo_orders_number"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))  # processing|shipped|delivered|cancelled
    carrier: Mapped[str | None] = mapped_column(String(40), default=None)
    tracking_number: Mapped[str | None] = mapped_column(String(60), default=None)
    expected_delivery: Mapped[date | None] = mapped_column(Date, default=None)
    total: Mapped[float] = mapped_column(Float, default=0.0)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    placed_at: Mapped[datetime] = mapped_column(DateTime)


class DemoAccount(IdMixin, Base):
    __tablename__ = "demo_accounts"

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    account_number: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))  # active|suspended|closed
    plan: Mapped[str] = mapped_column(String(40))
    balance: Mapped[float] = mapped_column(Float, default=0.0)


class DemoAppointmentSlot(IdMixin, Base):
    __tablename__ = "demo_appointment_slots"

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    starts_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    duration_minutes: Mapped[int] = mapped_column(default=30)
    location: Mapped[str] = mapped_column(String(120))
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), default=None)


class DemoOutbox(IdMixin, Base):
    """Emails the demo company "sends" (reset links, one-time codes), shown to the demo admin.

    A one-time code is kept only as a hash for checking; the body is what the email says."""

    __tablename__ = "demo_outbox"

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    to_email: Mapped[str] = mapped_column(String(320), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # password_reset|verification_code
    body: Mapped[str] = mapped_column(String(2000))
    secret_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    used: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
