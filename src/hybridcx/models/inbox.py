from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.models.base import Base, IdMixin, TimestampMixin


class Inbox(IdMixin, TimestampMixin, Base):
    """A configured instance of a channel (Chatwoot's term). The widget names it by its key."""

    __tablename__ = "inboxes"

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"), index=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    hmac_secret: Mapped[str] = mapped_column(String(128))
    is_default: Mapped[bool] = mapped_column(default=False)
    # The team whose agents serve this inbox; None: every agent of the workspace.
    team: Mapped[str | None] = mapped_column(String(64), default=None)
