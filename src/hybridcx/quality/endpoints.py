"""Quality API (supervisors and admins, scoped to the caller's workspace).

- ``GET /api/v1/quality/conversations/{id}``: the rubric's score per criterion, with evidence.
- ``GET /api/v1/quality/agents``: per handler (the AI first) averages, weekly trend, coaching,
  from the scores stored when conversations finished.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from hybridcx.analytics.service import kpi_query
from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import AnalyticsReader, QualityReader
from hybridcx.quality.repository import agent_names
from hybridcx.quality.schemas import AgentsQuality, ConversationQuality
from hybridcx.quality.scoring import score_one, workspace_rubric
from hybridcx.quality.service import agent_summaries
from hybridcx.scripting.adherence import adherence_report

router = APIRouter(prefix="/api/v1/quality", tags=["quality"])


@router.get("/conversations/{conversation_id}", response_model=ConversationQuality)
async def conversation_quality(
    conversation_id: str, staff: QualityReader, runtime: RuntimeDep
) -> dict[str, Any]:
    rubric = await workspace_rubric(runtime, staff.workspace_id)
    async with runtime.sessions() as session:
        return await score_one(session, staff.workspace_id, conversation_id, rubric)


@router.get("/agents", response_model=AgentsQuality)
async def agents_quality(
    staff: AnalyticsReader,
    runtime: RuntimeDep,
    from_: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    to: Annotated[str | None, Query(max_length=40)] = None,
) -> dict[str, Any]:
    query = kpi_query(from_, to)
    rubric = await workspace_rubric(runtime, staff.workspace_id)
    async with runtime.sessions() as session:
        names = await agent_names(session, staff.workspace_id)
        result = await agent_summaries(session, staff.workspace_id, query, rubric, names)
        # script adherence per agent, team and script, beside the rubric scores
        result["script_adherence"] = await adherence_report(
            session, staff.workspace_id, start=query.start, end=query.end
        )
        return result
