"""Response shapes of the search API."""

from __future__ import annotations

from pydantic import Field

from hybridcx.customers.schemas import CustomerRead
from hybridcx.kit.schemas import ReadModel


class CustomerHit(CustomerRead):
    created_at: str
    tags: list[str]


class CustomerPage(ReadModel):
    items: list[CustomerHit]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; None: last.")
