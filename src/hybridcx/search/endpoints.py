"""Search and paging over HTTP: the conversation list's filters (used by
``GET /api/v1/conversations``) and ``GET /api/v1/customers`` (staff customer search)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import CustomerReader
from hybridcx.auth.service import StaffPrincipal
from hybridcx.kit.deps import HasSessions
from hybridcx.search import service
from hybridcx.search.schemas import CustomerPage

router = APIRouter(prefix="/api/v1", tags=["search"])


@dataclass
class SearchParams:
    """Query parameters of the conversation list (all optional)."""

    q: Annotated[str | None, Query(max_length=200, description="Words (all must match).")] = None
    customer_id: Annotated[str | None, Query(max_length=36)] = None
    customer: Annotated[
        str | None, Query(max_length=200, description="Email, phone number or name words.")
    ] = None
    tier: Annotated[int | None, Query(ge=1, le=3)] = None
    channel: Annotated[str | None, Query(max_length=20)] = None
    tag: Annotated[list[str] | None, Query(max_length=10, description="Repeatable.")] = None
    agent_id: Annotated[str | None, Query(max_length=36)] = None
    since: Annotated[datetime | None, Query(description="Created at or after.")] = None
    until: Annotated[datetime | None, Query(description="Created before.")] = None
    intent: Annotated[str | None, Query(max_length=100)] = None
    sort: Annotated[Literal["updated", "created"], Query()] = "updated"
    limit: Annotated[int | None, Query(ge=1, le=service.MAX_LIMIT)] = None
    cursor: Annotated[str | None, Query(max_length=500)] = None


async def search_conversations_page(
    runtime: HasSessions, staff: StaffPrincipal, status: str | None, p: SearchParams
) -> dict[str, Any]:
    filters = service.ConversationFilters(
        q=p.q,
        customer_id=p.customer_id,
        customer=p.customer,
        status=status,
        tier=p.tier,
        channel=p.channel,
        tags=list(p.tag or []),
        agent_id=p.agent_id,
        since=p.since,
        until=p.until,
        intent=p.intent,
    )
    async with runtime.sessions() as session:
        return await service.search_conversations(
            session, staff, filters, sort=p.sort, limit=p.limit, cursor=p.cursor
        )


@router.get("/customers", summary="Search customers (staff)", response_model=CustomerPage)
async def list_customers(
    staff: CustomerReader,
    runtime: RuntimeDep,
    q: Annotated[
        str | None, Query(max_length=200, description="Email, phone number or name words.")
    ] = None,
    tag: Annotated[list[str] | None, Query(max_length=10)] = None,
    vip: bool | None = None,
    limit: Annotated[int | None, Query(ge=1, le=service.MAX_LIMIT)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> dict[str, Any]:
    """The workspace's customers, newest first, in pages (``next_cursor``)."""
    async with runtime.sessions() as session:
        return await service.search_customers(
            session, staff, q=q, tags=list(tag or []), vip=vip, limit=limit, cursor=cursor
        )
