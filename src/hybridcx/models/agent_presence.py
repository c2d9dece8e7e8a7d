from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.kit.ids import utcnow
from hybridcx.models.base import Base


class AgentPresence(Base):
    """One row per live desk WebSocket, refreshed by heartbeat; shared by all server processes."""

    __tablename__ = "agent_presence"

    connection_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
