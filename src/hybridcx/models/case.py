from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.kit.sealed import EncryptedText
from hybridcx.models.base import Base, IdMixin, TimestampMixin


class Case(IdMixin, TimestampMixin, Base):
    """A resolved conversation as searchable knowledge: what was asked, how it was resolved.

    Stored with PII already masked; agents find similar past cases through assist."""

    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("conversation_id", name="uq_cases_conversation_id"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"), index=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    intent: Mapped[str | None] = mapped_column(String(100), default=None)
    question: Mapped[str] = mapped_column(EncryptedText)
    resolution: Mapped[str] = mapped_column(EncryptedText)
    outcome: Mapped[str] = mapped_column(String(40), default="resolved")
    category: Mapped[str | None] = mapped_column(String(100), default=None)
