"""Proactive outreach: campaigns that notify customers when a signal fires (a late
shipment, an appointment tomorrow, ...), and one row per notice sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.kit.ids import utcnow
from hybridcx.models.base import Base, IdMixin, TimestampMixin


class OutreachCampaign(IdMixin, TimestampMixin, Base):
    """Who to notify (a signal, optionally a segment), on which channels, with which words.

    Written by supervisors; no customer data (templates are filled when sent)."""

    __tablename__ = "outreach_campaigns"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    signal: Mapped[str] = mapped_column(String(40))
    # {"vip": true} and/or {"attributes": {"plan": "pro"}}: narrows the signal's audience.
    segment: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    # {"sms": "...", "email": "...", "email_subject": "..."} with {placeholders}.
    templates: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # active | awaiting_approval | paused
    status: Mapped[str] = mapped_column(String(20), default="active")
    # A run whose audience is larger than this waits for a second supervisor's approval.
    approval_threshold: Mapped[int] = mapped_column(Integer, default=50)
    # Share of the eligible customers held out (no notice): the control group that measures
    # the contacts the notices avoided.
    holdout: Mapped[float] = mapped_column(Float, default=0.0)
    # The audience of the run that was held (what an approval approves), and what was approved.
    pending_size: Mapped[int] = mapped_column(Integer, default=0)
    approved_size: Mapped[int] = mapped_column(Integer, default=0)
    approved_by: Mapped[str | None] = mapped_column(String(36), default=None)
    created_by: Mapped[str | None] = mapped_column(String(36), default=None)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class OutreachSend(IdMixin, TimestampMixin, Base):
    """One notice to one customer on one channel: sent or failed (never twice for the same
    campaign, signal occurrence and channel). No text: the notice is a message of
    ``conversation_id``, where the customer's reply continues."""

    __tablename__ = "outreach_sends"
    __table_args__ = (UniqueConstraint("campaign_id", "customer_id", "key_hash", "channel"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"), index=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("outreach_campaigns.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(36), default=None)
    signal: Mapped[str] = mapped_column(String(40))
    # Keyed hash of the signal occurrence ("late_shipment:<order>"): once per occurrence.
    key_hash: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(20))
    # sent | failed | held_out (the control group: channel "none", no conversation)
    status: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(String(500), default=None)
