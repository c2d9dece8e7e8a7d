"""Analytics API (supervisors and admins, always scoped to the caller's workspace).

- ``GET /api/v1/analytics/kpis``: every KPI for conversations started in a window.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from hybridcx.analytics.config import AnalyticsConfig, config_path, load_analytics_config
from hybridcx.analytics.service import kpi_query, kpi_report
from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import AnalyticsReader
from hybridcx.conversations import repository as conversations
from hybridcx.runtime import Runtime

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])


async def workspace_config(runtime: Runtime, workspace_id: str) -> AnalyticsConfig:
    async with runtime.sessions() as session:
        ws = await conversations.get_workspace(session, workspace_id)
    return load_analytics_config(config_path(runtime.policies.policy_dir, ws.slug))


@router.get("/kpis")
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
) -> dict[str, Any]:
    """CSAT, FCR, handle time, effort, escalation, containment, tiers, cost, queue, agents."""
    query = kpi_query(from_, to, channel=channel, tier=tier, intent=intent, agent_id=agent_id)
    config = await workspace_config(runtime, staff.workspace_id)
    async with runtime.sessions() as session:
        return await kpi_report(session, staff.workspace_id, query, config)
