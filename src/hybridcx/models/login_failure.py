from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.kit.ids import new_id, utcnow
from hybridcx.models.base import Base


class LoginFailure(Base):
    """One staff sign-in attempt against an account (hybridcx.auth.throttle): recorded before
    the password is checked, deleted when it succeeds, forgotten after the throttle window.
    Shared by every server process, so the per-account limit holds across them."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_account_at", "account", "at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # A keyed hash (blind index) of the email as typed: the same for accounts that exist and
    # those that do not, and no address in the clear.
    account: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
