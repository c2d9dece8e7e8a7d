from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.kit.ids import new_id, utcnow
from hybridcx.models.base import Base


class ServerProcess(Base):
    """A running server process and its last heartbeat (hybridcx.ops.heartbeat). Work a process
    claims (a customer message's answer lease) names it, so that once it stops beating another
    process takes the work over at once instead of waiting out a fixed timeout."""

    __tablename__ = "server_processes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    beat_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
