"""Response shapes of the approvals API."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from hybridcx.kit.schemas import Number, ReadModel


class ApprovalRead(ReadModel):
    """An AI action held for a person's approval."""

    id: str
    conversation_id: str
    customer_id: str
    action: str
    summary: str
    amount: Number | None
    # The action's own parameters (the customer's email left out): they differ per action.
    params: dict[str, Any]
    status: str = Field(description="pending, executed, failed or rejected")
    created_at: str
    decided_by: str | None
    decided_at: str | None
    note: str | None
    # What the company backend answered when the action ran, with ok; {} until then.
    result: dict[str, Any]
