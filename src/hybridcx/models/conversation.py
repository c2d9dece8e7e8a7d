from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.kit.ids import utcnow
from hybridcx.kit.sealed import EncryptedJSON
from hybridcx.models.base import Base, IdMixin, TimestampMixin


class Conversation(IdMixin, TimestampMixin, Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_workspace_status", "workspace_id", "status"),
        # A customer's place in line and the queue's pages are index range scans.
        Index("ix_conversations_queue", "workspace_id", "status", "queue_rank"),
        # The /metrics queue gauges: one index range scan over the queued rows, by tier.
        Index("ix_conversations_status_tier_queued_at", "status", "tier", "queued_at"),
    )

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    inbox_id: Mapped[str] = mapped_column(ForeignKey("inboxes.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="bot")  # bot|queued|assigned|resolved
    tier: Mapped[int] = mapped_column(default=1)
    assigned_agent_id: Mapped[str | None] = mapped_column(
        ForeignKey("agents.id"), default=None, index=True
    )
    customer_token_hash: Mapped[str] = mapped_column(String(64))
    identity_verified: Mapped[bool] = mapped_column(default=False)
    required_skill: Mapped[str | None] = mapped_column(String(64), default=None)
    routing: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The handoff package quotes the transcript, and flow slots may hold what the customer typed:
    # both sealed at rest.
    handoff: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON, default=None)
    # The AI's working memory: the active Tier 1 flow (if any) and how often the AI failed.
    ai_state: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)
    # Channels (hybridcx.channels): the thread a channel continues (an SMS sender, a call sid,
    # an email thread) and what that channel knows about the conversation (numbers, call sid).
    thread_key: Mapped[str | None] = mapped_column(String(255), default=None, index=True)
    channel_meta: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    # Queue order while queued (higher first): queue.priority.queue_rank, set when it is queued
    # or its tier changes.
    queue_rank: Mapped[float | None] = mapped_column(Float, default=None)
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    # Copied from the inbox when the conversation starts: who may see it.
    team: Mapped[str | None] = mapped_column(String(64), default=None)
    # Business hours (hybridcx.hours): queued while closed ({"next_open", "choice",
    # "callback_at", ...}; None otherwise), and when an idle sweep closed it (it reopens).
    after_hours: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    idle_closed_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    # SLA (hybridcx.hours.sla): the running clock ({"kind", "due_at", "warn_at", ...}).
    sla: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
