from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.kit.ids import utcnow
from hybridcx.models.base import Base, IdMixin, TimestampMixin


class SlaPolicy(IdMixin, TimestampMixin, Base):
    """A response-time target (hybridcx.hours.sla): first response after the handoff
    and next response after each customer message, for the conversations it matches (tier,
    channel, VIP; None matches any). The most specific matching policy applies."""

    __tablename__ = "sla_policies"

    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    tier: Mapped[int | None] = mapped_column(Integer, default=None)
    channel: Mapped[str | None] = mapped_column(String(20), default=None)
    vip: Mapped[bool | None] = mapped_column(Boolean, default=None)
    first_response_seconds: Mapped[int] = mapped_column(Integer)
    next_response_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    warn_before_seconds: Mapped[int] = mapped_column(Integer, default=300)
    # Count only business hours (the conversation's calendar); False: around the clock.
    business_hours: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
