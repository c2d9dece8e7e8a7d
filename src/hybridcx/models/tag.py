"""Tags: a workspace's tag names, and the tags on conversations and customers."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.models.base import Base, IdMixin, TimestampMixin


class Tag(IdMixin, TimestampMixin, Base):
    """A tag name the workspace uses (lower case, ``[a-z0-9_-]``)."""

    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("workspace_id", "name", name="uq_tags_workspace_name"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(50))
    description: Mapped[str] = mapped_column(String(200), default="")


class ConversationTag(IdMixin, TimestampMixin, Base):
    __tablename__ = "conversation_tags"
    __table_args__ = (
        UniqueConstraint("conversation_id", "tag", name="uq_conversation_tags_conversation_tag"),
        # Filters ("tag = refund") are index range scans within the workspace.
        Index("ix_conversation_tags_workspace_tag", "workspace_id", "tag"),
    )

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    tag: Mapped[str] = mapped_column(String(50))
    # "ai" (set from the intent by policy) or the staff member's agent id.
    added_by: Mapped[str] = mapped_column(String(36))


class CustomerTag(IdMixin, TimestampMixin, Base):
    __tablename__ = "customer_tags"
    __table_args__ = (
        UniqueConstraint("customer_id", "tag", name="uq_customer_tags_customer_tag"),
        Index("ix_customer_tags_workspace_tag", "workspace_id", "tag"),
    )

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    tag: Mapped[str] = mapped_column(String(50))
    added_by: Mapped[str] = mapped_column(String(36))
