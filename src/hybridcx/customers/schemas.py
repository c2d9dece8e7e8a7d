"""Response shapes of the customers API."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from hybridcx.kit.schemas import Number, ReadModel


class CustomerRead(ReadModel):
    id: str
    email: str | None
    name: str
    phone: str | None
    external_id: str | None
    vip: bool
    lifetime_value: Number
    human_only: bool = Field(description="Opted out of AI: people only.")
    # Free-form segment attributes (language, region, plan, ...), set by staff or a CRM.
    attributes: dict[str, Any]
