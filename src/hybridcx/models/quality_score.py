from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.kit.ids import utcnow
from hybridcx.models.base import Base, IdMixin


class QualityScore(IdMixin, Base):
    """A finished conversation scored against the workspace's quality rubric, once, when it is
    resolved (or when the AI has been done with it for a while). Aggregates read these rows.

    ``rubric_version`` names the rubric the score was computed with (a hash of its settings),
    so scores from an older rubric can be told apart and rescored. ``criteria`` holds each
    criterion's score, note and evidence (message ids): no customer text."""

    __tablename__ = "quality_scores"
    __table_args__ = (
        UniqueConstraint("conversation_id", name="uq_quality_scores_conversation_id"),
        Index("ix_quality_scores_workspace_started", "workspace_id", "started_at"),
        Index("ix_quality_scores_workspace_peer", "workspace_id", "peer_key", "finished_at"),
    )

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    handler: Mapped[str] = mapped_column(String(36))  # "ai" or the agent's id
    score: Mapped[float | None] = mapped_column(Float, default=None)
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    intent: Mapped[str | None] = mapped_column(String(100), default=None)
    category: Mapped[str | None] = mapped_column(String(100), default=None)
    # Handle-time peers: conversations of the same category (intent when uncategorised).
    peer_key: Mapped[str] = mapped_column(String(100), default="other")
    handle_seconds: Mapped[float | None] = mapped_column(Float, default=None)
    rubric_version: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime] = mapped_column(DateTime)
    scored_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
