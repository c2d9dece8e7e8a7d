"""Analytics API (supervisors and admins, always scoped to the caller's workspace).

- ``GET /api/v1/analytics/kpis``: every KPI for conversations started in a window.
- ``POST /api/v1/conversations/{id}/orders``: attribute an order to a conversation (revenue
  per sales conversation); any staff member of the workspace, or an integration's staff token.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from hybridcx.analytics.config import AnalyticsConfig, config_path, load_analytics_config
from hybridcx.analytics.deps import AnalyticsConfigDeps
from hybridcx.analytics.schemas import KpiReport, OrderRead
from hybridcx.analytics.service import attribute_order as record_order
from hybridcx.analytics.service import kpi_query, kpi_report
from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import AnalyticsReader, ConversationHandler, check_conversation
from hybridcx.conversations import repository as conversations
from hybridcx.kit.db import transaction

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])


async def workspace_config(runtime: AnalyticsConfigDeps, workspace_id: str) -> AnalyticsConfig:
    async with runtime.sessions() as session:
        ws = await conversations.get_workspace(session, workspace_id)
    return load_analytics_config(config_path(runtime.policies.policy_dir, ws.slug))


@router.get("/kpis", response_model=KpiReport)
async def kpis(
    staff: AnalyticsReader,
    runtime: RuntimeDep,
    from_: Annotated[
        str | None, Query(alias="from", max_length=40, description="ISO date; default 30 days ago")
    ] = None,
    to: Annotated[
        str | None, Query(max_length=40, description="ISO date (inclusive) or datetime")
    ] = None,
    channel: Annotated[str | None, Query(max_length=20)] = None,
    tier: Annotated[int | None, Query(ge=1, le=3)] = None,
    intent: Annotated[str | None, Query(max_length=100)] = None,
    agent_id: Annotated[str | None, Query(max_length=36)] = None,
    team: Annotated[
        str | None, Query(max_length=64, description="A skill group: its members' conversations")
    ] = None,
    tag: Annotated[
        str | None, Query(max_length=60, description="Conversations with this tag")
    ] = None,
) -> dict[str, Any]:
    """CSAT, NPS, FCR, handle time, effort, escalation, containment, tiers, cost, queue, agents,
    revenue, value by segment and the scalability ratio."""
    query = kpi_query(
        from_, to, channel=channel, tier=tier, intent=intent, agent_id=agent_id, team=team, tag=tag
    )
    config = await workspace_config(runtime, staff.workspace_id)
    async with runtime.sessions() as session:
        return await kpi_report(session, staff.workspace_id, query, config)


orders_router = APIRouter(prefix="/api/v1", tags=["analytics"])


class OrderAttribution(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: str = Field(min_length=1, max_length=100, description="The shop's order id.")
    amount: float = Field(ge=0, le=10_000_000, description="Order value.")
    currency: str = Field(default="USD", min_length=3, max_length=3)


@orders_router.post(
    "/conversations/{conversation_id}/orders", status_code=201, response_model=OrderRead
)
async def attribute_order(
    conversation_id: str,
    body: OrderAttribution,
    staff: ConversationHandler,
    runtime: RuntimeDep,
) -> dict[str, Any]:
    """Record that this conversation led to an order; the same order id counts once (409)."""
    async with transaction(runtime.sessions) as session:
        conv = await conversations.get_conversation(
            session, conversation_id, workspace_id=staff.workspace_id, lock=True
        )
        conv = check_conversation(staff, conv)  # 404 outside the agent's teams too
        data = body.model_dump()
        await record_order(session, conv, data, agent_id=staff.agent_id)
    return {"conversation_id": conversation_id, **data}
