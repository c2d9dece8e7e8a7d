"""``/api/v1/scripts``: agent scripts. Supervisors and admins write them (audited);
everyone who handles conversations reads them and a conversation's active script."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from hybridcx.analytics.schemas import WindowAdherence
from hybridcx.analytics.service import kpi_query
from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import AnalyticsReader, ConversationHandler, ConversationSupervisor
from hybridcx.scripting import service
from hybridcx.scripting.adherence import adherence_report
from hybridcx.scripting.schemas import (
    ConversationScript,
    EnforcementRead,
    ScriptList,
    ScriptRead,
)
from hybridcx.scripting.spec import STEP_KINDS

router = APIRouter(tags=["scripts"])
SCRIPTS = "/api/v1/scripts"


class ScriptWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    spec: dict[str, Any] = Field(
        description="name, intents, optional segment/channel/compliance_rule, and steps: "
        + "; ".join(f"{k}: {v}" for k, v in STEP_KINDS.items())
    )
    enabled: bool = True


class PolicyWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enforcement: Literal["block", "warn"]


@router.get(SCRIPTS, response_model=ScriptList, response_model_exclude_unset=True)
async def list_scripts(staff: ConversationHandler, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.sessions() as session:
        rows = await service.all_scripts(session, staff.workspace_id)
        policy = await service.enforcement(session, staff.workspace_id)
    return {
        "items": [service.script_read(spec, row) for spec, row in rows],
        "enforcement": policy,
        "step_kinds": STEP_KINDS,
    }


@router.post(SCRIPTS, status_code=201, response_model=ScriptRead, response_model_exclude_unset=True)
async def create_script(
    body: ScriptWrite, staff: ConversationSupervisor, runtime: RuntimeDep
) -> dict[str, Any]:
    return await service.create(runtime, staff, body.model_dump())


@router.put(SCRIPTS + "/policy", response_model=EnforcementRead)
async def set_policy(
    body: PolicyWrite, staff: ConversationSupervisor, runtime: RuntimeDep
) -> dict[str, Any]:
    return await service.set_enforcement(runtime, staff, body.enforcement)


@router.get(SCRIPTS + "/adherence", response_model=WindowAdherence)
async def script_adherence(
    staff: AnalyticsReader,
    runtime: RuntimeDep,
    from_: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    to: Annotated[str | None, Query(max_length=40)] = None,
) -> dict[str, Any]:
    """Script adherence of the conversations resolved in the window: per agent, team, script."""
    query = kpi_query(from_, to)
    async with runtime.sessions() as session:
        report = await adherence_report(
            session, staff.workspace_id, start=query.start, end=query.end
        )
    return {"query": query.to_dict(), **report}


@router.get(SCRIPTS + "/conversations/{conversation_id}", response_model=ConversationScript)
async def conversation_script(
    conversation_id: str, staff: ConversationHandler, runtime: RuntimeDep
) -> dict[str, Any]:
    """The active script of the conversation, its steps ticked off from the transcript and the
    next one with its wording filled in."""
    return await service.read_for(runtime, staff, conversation_id)


@router.put(SCRIPTS + "/{script_id}", response_model=ScriptRead, response_model_exclude_unset=True)
async def update_script(
    script_id: str, body: ScriptWrite, staff: ConversationSupervisor, runtime: RuntimeDep
) -> dict[str, Any]:
    return await service.update(runtime, staff, script_id, body.model_dump())


@router.delete(SCRIPTS + "/{script_id}", status_code=204)
async def delete_script(
    script_id: str, staff: ConversationSupervisor, runtime: RuntimeDep
) -> Response:
    await service.delete(runtime, staff, script_id)
    return Response(status_code=204)
