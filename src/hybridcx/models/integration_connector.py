from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hybridcx.kit.ids import utcnow
from hybridcx.kit.sealed import EncryptedJSON
from hybridcx.models.base import Base, IdMixin, TimestampMixin


class IntegrationConnector(IdMixin, TimestampMixin, Base):
    """A workspace's connection to one of the company's systems.

    ``settings`` holds what is not secret (base URL, shop domain, the no-code mapping);
    ``secrets`` (API tokens, passwords) is sealed with the key ring and never leaves the server.
    The connector with ``serves_flows`` answers the Tier 1 flows instead of the demo tables."""

    __tablename__ = "integration_connectors"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    secrets: Mapped[dict[str, str] | None] = mapped_column(EncryptedJSON, nullable=True)
    serves_flows: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    # How far inbound polling has read (Salesforce: "<SystemModstamp>|<Id>").
    poll_cursor: Mapped[str | None] = mapped_column(String(80), default=None)
