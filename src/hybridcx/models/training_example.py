from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.models.base import Base, IdMixin, TimestampMixin


class TrainingExample(IdMixin, TimestampMixin, Base):
    """A labelled customer request the intent model may learn from.

    Made from a conversation a person resolved (source "resolution") or from an accepted
    discovery cluster (source "discovery"). The text is stored with PII already removed.
    status: candidate -> accepted | rejected; accepted -> used once a promoted model trained on it.
    """

    __tablename__ = "training_examples"
    __table_args__ = (
        UniqueConstraint("message_id", name="uq_training_examples_message_id"),
        Index("ix_training_examples_workspace_status", "workspace_id", "status"),
    )

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    conversation_id: Mapped[str | None] = mapped_column(
        ForeignKey("conversations.id"), default=None, index=True
    )
    # The customer message the text came from (one example per message).
    message_id: Mapped[str | None] = mapped_column(String(36), default=None)
    source: Mapped[str] = mapped_column(String(20), default="resolution")
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str] = mapped_column(String(100))
    # ai (the AI's intent, not reviewed) | agent_confirmed | agent_corrected | discovery
    intent_source: Mapped[str] = mapped_column(String(20), default="ai")
    ai_intent: Mapped[str | None] = mapped_column(String(100), default=None)
    ai_confidence: Mapped[float | None] = mapped_column(Float, default=None)
    resolution: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(40), default="resolved")
    status: Mapped[str] = mapped_column(String(20), default="candidate")
    reviewed_by: Mapped[str | None] = mapped_column(String(36), default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
