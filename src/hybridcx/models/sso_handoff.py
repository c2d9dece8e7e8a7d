"""The one-time code that hands a single sign-on to the staff page."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.models.base import Base


class SsoHandoff(Base):
    """After the identity provider's answer is verified, the browser goes back to the staff page
    with this one-time code (not the staff token) in the URL fragment; the page trades it for
    the token by POST within a minute. Stored hashed, used once."""

    __tablename__ = "sso_handoffs"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(500))
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
