"""``GET /api/v1/analytics/fairness``: the fairness audit (supervisors, admins and auditors)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from hybridcx.analytics.endpoints import workspace_config
from hybridcx.analytics.service import kpi_query
from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import AnalyticsReader
from hybridcx.conversations import repository as conversations
from hybridcx.fairness.schemas import FairnessReport
from hybridcx.fairness.service import (
    AI_SEGMENT,
    fairness_config_path,
    fairness_report,
    load_fairness_config,
    parse_segments,
)
from hybridcx.segments.profiles import workspace_segments

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])


@router.get("/fairness", response_model=FairnessReport)
async def fairness(
    staff: AnalyticsReader,
    runtime: RuntimeDep,
    from_: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    to: Annotated[str | None, Query(max_length=40)] = None,
    segment: Annotated[
        list[str] | None,
        Query(
            max_length=20,
            description="channel, language, value_tier, ai_segment or a customer attribute",
        ),
    ] = None,
) -> dict[str, Any]:
    """AI containment, escalation, waiting, first-contact resolution and CSAT compared across
    customer segments, with significance tests and flags."""
    query = kpi_query(from_, to)
    segments = parse_segments(segment)
    analytics = await workspace_config(runtime, staff.workspace_id)
    async with runtime.sessions() as session:
        ws = await conversations.get_workspace(session, staff.workspace_id)
        config = load_fairness_config(fairness_config_path(runtime.policies.policy_dir, ws.slug))
        profiles = workspace_segments(runtime.policies.policy_dir, ws.slug)
        if segment is None and profiles.segments:
            segments = [*segments, AI_SEGMENT]
        return await fairness_report(
            session,
            staff.workspace_id,
            query,
            segments=segments,
            config=config,
            analytics=analytics,
            high_value=runtime.policies.policy(ws.slug).high_value_lifetime,
            profiles=profiles,
        )
