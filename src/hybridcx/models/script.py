"""Agent scripts: a workspace's own scripts (the shipped YAML defaults are not
stored) and its enforcement policy at resolve."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.kit.ids import utcnow
from hybridcx.models.base import Base, IdMixin, TimestampMixin


class Script(IdMixin, TimestampMixin, Base):
    """A script written by a supervisor: ``spec`` is a checked ``scripting.spec.ScriptSpec``
    (no customer data: placeholders are filled in the desk)."""

    __tablename__ = "scripts"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class ScriptSettings(Base):
    """What a required step left undone does at resolve: ``block`` (409) or ``warn``."""

    __tablename__ = "script_settings"

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"), primary_key=True)
    enforcement: Mapped[str] = mapped_column(String(10), default="block")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
