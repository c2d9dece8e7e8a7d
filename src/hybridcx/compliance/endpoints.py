"""Compliance records API (supervisors, admins and auditors; scoped to the workspace).

- ``GET /api/v1/compliance/conversations/{id}``: the record of one conversation.
- ``GET /api/v1/compliance/records?from=&to=``: every regulated conversation in a window.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from hybridcx.analytics.service import kpi_query
from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import ComplianceReader
from hybridcx.compliance.records import conversation_record, records_in_window
from hybridcx.compliance.schemas import ComplianceRecord, ComplianceRecords
from hybridcx.conversations import repository as repo
from hybridcx.kit.errors import NotFound

router = APIRouter(prefix="/api/v1/compliance", tags=["compliance"])
# Supervisors, admins and auditors (compliance.read): the record holds rules, disclosures and
# decisions, never the customer's words.
Reader = ComplianceReader


@router.get("/conversations/{conversation_id}", response_model=ComplianceRecord)
async def conversation_compliance(
    conversation_id: str, staff: Reader, runtime: RuntimeDep
) -> dict[str, Any]:
    async with runtime.sessions() as session:
        conv = await repo.get_conversation(
            session, conversation_id, workspace_id=staff.workspace_id
        )
        if conv is None:
            raise NotFound("Conversation not found.")
        return await conversation_record(session, conv)


@router.get("/records", response_model=ComplianceRecords)
async def compliance_records(
    staff: Reader,
    runtime: RuntimeDep,
    from_: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    to: Annotated[str | None, Query(max_length=40)] = None,
) -> dict[str, Any]:
    query = kpi_query(from_, to)
    async with runtime.sessions() as session:
        records = await records_in_window(
            session, staff.workspace_id, start=query.start, end=query.end
        )
    return {"from": query.to_dict()["from"], "to": query.to_dict()["to"], "records": records}
