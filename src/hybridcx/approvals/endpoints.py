"""Approvals API (agents of the conversation's team, supervisors, admins; deciding needs the
policy's approver roles).

- ``GET /api/v1/approvals?status=pending``: the held actions, oldest first.
- ``GET /api/v1/approvals/{id}``
- ``POST /api/v1/approvals/{id}/approve`` and ``/reject``: decide; the action runs on approval
  and the customer is told the outcome in the conversation.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from hybridcx.approvals.schemas import ApprovalRead
from hybridcx.approvals.service import ApprovalService
from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import ConversationHandler, ConversationReader

router = APIRouter(prefix="/api/v1/approvals", tags=["approvals"])

# Reading held actions is reading their conversations (within the caller's teams; never an
# auditor, who reads the compliance records instead). Deciding also needs one of the policy's
# ``approver_roles``, and a role that may act on conversations at all.
Reader = ConversationReader
Decider = ConversationHandler

Status = Literal["pending", "executed", "failed", "rejected"]


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=1000)


@router.get("", response_model=list[ApprovalRead])
async def list_approvals(
    staff: Reader, runtime: RuntimeDep, status: Annotated[Status | None, Query()] = None
) -> list[dict[str, Any]]:
    return await ApprovalService(runtime).list(staff, status)


@router.get("/{approval_id}", response_model=ApprovalRead)
async def get_approval(approval_id: str, staff: Reader, runtime: RuntimeDep) -> dict[str, Any]:
    return await ApprovalService(runtime).get(staff, approval_id)


@router.post("/{approval_id}/approve", response_model=ApprovalRead)
async def approve(
    approval_id: str, staff: Decider, runtime: RuntimeDep, body: Decision | None = None
) -> dict[str, Any]:
    note = body.note if body else None
    return await ApprovalService(runtime).decide(staff, approval_id, approve=True, note=note)


@router.post("/{approval_id}/reject", response_model=ApprovalRead)
async def reject(
    approval_id: str, staff: Decider, runtime: RuntimeDep, body: Decision | None = None
) -> dict[str, Any]:
    note = body.note if body else None
    return await ApprovalService(runtime).decide(staff, approval_id, approve=False, note=note)
