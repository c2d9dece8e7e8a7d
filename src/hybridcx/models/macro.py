"""Macros and automation rules: a workspace's saved replies with actions, and the
rules that act on conversation events by themselves."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.kit.ids import utcnow
from hybridcx.models.base import Base, IdMixin, TimestampMixin


class Macro(IdMixin, TimestampMixin, Base):
    """Reply text with placeholders ({{customer.name}}, …) and the actions run when it is sent.

    Written by supervisors; no customer data (placeholders are filled when applied)."""

    __tablename__ = "macros"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text, default="")
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class AutomationRule(IdMixin, TimestampMixin, Base):
    """When ``trigger`` happens and every condition holds, run the actions (once per event)."""

    __tablename__ = "automation_rules"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # conversation.queued | message.created | conversation.assigned | conversation.resolved |
    # no_agent_reply (with ``minutes``, evaluated by the background sweep)
    trigger: Mapped[str] = mapped_column(String(40))
    minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    conditions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class AutomationFiring(IdMixin, TimestampMixin, Base):
    """One rule fired for one conversation on one occasion: the unique key makes a firing
    happen once, whichever process sees the event first."""

    __tablename__ = "automation_firings"
    __table_args__ = (UniqueConstraint("rule_id", "conversation_id", "occasion"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"), index=True)
    rule_id: Mapped[str] = mapped_column(ForeignKey("automation_rules.id", ondelete="CASCADE"))
    conversation_id: Mapped[str] = mapped_column(String(36), index=True)
    occasion: Mapped[str] = mapped_column(String(80))


class AutomationCursor(Base):
    """How far the rule engine has read the event and message logs."""

    __tablename__ = "automation_cursors"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_seq: Mapped[int] = mapped_column(Integer, default=0)
    message_seq: Mapped[int] = mapped_column(Integer, default=0)
