from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.models.base import Base, IdMixin, TimestampMixin


class Experiment(IdMixin, TimestampMixin, Base):
    """An A/B experiment or a gradual rollout of policy overrides.

    ``arms`` is a list of {name, share, overrides}; a rollout has two arms whose treatment share
    follows ``rollout.steps``. Customers are assigned by a hash of (experiment id, customer id)."""

    __tablename__ = "experiments"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name", name="uq_experiments_workspace_name"),
        Index("ix_experiments_workspace_status", "workspace_id", "status"),
    )

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(2000), default="")
    kind: Mapped[str] = mapped_column(String(20), default="ab")  # ab | rollout
    status: Mapped[str] = mapped_column(String(20), default="running")
    arms: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    guardrails: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    rollout: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    primary_metric: Mapped[str] = mapped_column(String(40), default="resolution")
    alpha: Mapped[float] = mapped_column(Float, default=0.05)
    min_samples: Mapped[int] = mapped_column(default=30)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    stop_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    created_by: Mapped[str | None] = mapped_column(String(36), default=None)
    evaluation: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    evaluated_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
