"""The help centre's "Chat with people only" toggle: a verified customer (the
self-service token of ``selfservice.py``) reads and sets ``human_only`` on their own record.

- ``GET /api/v1/help/ai-preference``: ``{"email", "human_only"}``.
- ``PUT /api/v1/help/ai-preference`` ``{"human_only": true|false}``: opt out of the AI, or back
  in; audited as ``customer.ai_opt_out`` / ``customer.ai_opt_in``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from hybridcx.auth.deps import RuntimeDep
from hybridcx.customers.ai_optout import set_human_only
from hybridcx.customers.repository import get_by_email
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import NotFound
from hybridcx.web.selfservice import SelfService

router = APIRouter(prefix="/api/v1/help", tags=["self-service"])


class AiPreference(BaseModel):
    model_config = ConfigDict(extra="forbid")

    human_only: bool = Field(description="True: never the AI assistant, people only.")


def _read(customer: Any) -> dict[str, Any]:
    return {"email": customer.email, "human_only": customer.human_only}


@router.get("/ai-preference")
async def my_ai_preference(who: SelfService, runtime: RuntimeDep) -> dict[str, Any]:
    inbox, email = who
    async with runtime.sessions() as session:
        customer = await get_by_email(session, inbox.workspace_id, email)
    if customer is None:
        raise NotFound("We have no customer record for this email.")
    return _read(customer)


@router.put("/ai-preference")
async def set_ai_preference(
    body: AiPreference, who: SelfService, runtime: RuntimeDep
) -> dict[str, Any]:
    """Opt out of the AI assistant (``human_only: true``) or back in."""
    inbox, email = who
    async with transaction(runtime.sessions) as session:
        customer = await get_by_email(session, inbox.workspace_id, email)
        if customer is None:
            raise NotFound("We have no customer record for this email.")
        set_human_only(session, customer, body.human_only, via="help_centre")
        await session.flush()
        return _read(customer)
