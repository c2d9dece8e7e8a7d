from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.kit.ids import new_id, utcnow
from hybridcx.models.base import Base


class AgentShift(Base):
    """A stretch of staffed time: an agent logged in to the desk, from the first connection to
    the last heartbeat. Written by the presence code (hybridcx.agents.service); analytics reads
    it for occupancy, utilization and the scalability ratio (staffed hours)."""

    __tablename__ = "agent_shifts"
    __table_args__ = (Index("ix_agent_shifts_workspace_started", "workspace_id", "started_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
