from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, String, false, text
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.models.base import Base, IdMixin, TimestampMixin


class Workspace(IdMixin, TimestampMixin, Base):
    """A tenant: one company using hybridcx. Every other row belongs to exactly one."""

    __tablename__ = "workspaces"

    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    # Every local (password) sign-in of this workspace's staff needs a TOTP code (auth/mfa.py).
    mfa_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Bumped by database triggers with every change to the workspace's articles (migration
    #: 0036): each process's knowledge index checks it once per turn to know it is current.
    knowledge_revision: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
