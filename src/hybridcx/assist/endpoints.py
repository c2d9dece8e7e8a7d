from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from hybridcx.assist.service import AssistService
from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import ConversationHandler

router = APIRouter(prefix="/api/v1/conversations", tags=["assist"])


class ActionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str


@router.get("/{conversation_id}/assist")
async def assist(
    conversation_id: str, staff: ConversationHandler, runtime: RuntimeDep
) -> dict[str, Any]:
    """Suggested knowledge, similar past cases, a grounded draft, next-best actions, summary.
    The agent WebSocket also pushes this (`assist.updated`) after new customer messages while
    an agent has the conversation (a queued one: fetch this when the customer writes)."""
    return await AssistService(runtime).for_conversation(conversation_id, staff)


@router.post("/{conversation_id}/assist/actions")
async def run_action(
    conversation_id: str,
    body: ActionRequest,
    staff: ConversationHandler,
    runtime: RuntimeDep,
) -> dict[str, Any]:
    """Run a next-best action (e.g. send_password_reset) for this conversation's customer."""
    return await AssistService(runtime).run_action(conversation_id, staff, body.action)
