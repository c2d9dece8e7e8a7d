"""Email drafts in the desk: list, read, edit, approve & send, discard (staff only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from hybridcx.auth.deps import RuntimeDep, Staff
from hybridcx.channels.email.drafts import DraftService, attachment_file

router = APIRouter(prefix="/api/v1/conversations", tags=["email"])


class DraftEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=100_000)


class DraftApprove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(
        default=None, min_length=1, max_length=100_000, description="Send this instead."
    )


@router.get("/{conversation_id}/drafts", summary="AI drafts of an email conversation")
async def list_drafts(conversation_id: str, staff: Staff, runtime: RuntimeDep) -> dict[str, Any]:
    return {"items": await DraftService(runtime).list(conversation_id, staff)}


@router.get("/{conversation_id}/drafts/{draft_id}")
async def read_draft(
    conversation_id: str, draft_id: str, staff: Staff, runtime: RuntimeDep
) -> dict[str, Any]:
    return await DraftService(runtime).get(conversation_id, draft_id, staff)


@router.patch("/{conversation_id}/drafts/{draft_id}", summary="Edit a pending draft")
async def edit_draft(
    conversation_id: str, draft_id: str, body: DraftEdit, staff: Staff, runtime: RuntimeDep
) -> dict[str, Any]:
    return await DraftService(runtime).edit(conversation_id, draft_id, staff, body.text)


@router.post(
    "/{conversation_id}/drafts/{draft_id}/approve",
    summary="Approve a draft: it goes out by email as your reply",
)
async def approve_draft(
    conversation_id: str,
    draft_id: str,
    staff: Staff,
    runtime: RuntimeDep,
    body: DraftApprove | None = None,
) -> dict[str, Any]:
    text = body.text if body is not None else None
    return await DraftService(runtime).approve(conversation_id, draft_id, staff, text)


@router.post("/{conversation_id}/drafts/{draft_id}/discard", summary="Discard a draft")
async def discard_draft(
    conversation_id: str, draft_id: str, staff: Staff, runtime: RuntimeDep
) -> dict[str, Any]:
    return await DraftService(runtime).discard(conversation_id, draft_id, staff)


@router.get(
    "/{conversation_id}/messages/{message_id}/attachments/{attachment_id}",
    summary="Download an attachment of a customer's email (staff)",
    response_class=FileResponse,
)
async def download_attachment(
    conversation_id: str, message_id: str, attachment_id: str, staff: Staff, runtime: RuntimeDep
) -> FileResponse:
    """Always a download (``application/octet-stream``): a file a customer sent is never
    rendered by the browser in the desk's origin."""
    path, filename = await attachment_file(
        runtime,
        staff,
        conversation_id=conversation_id,
        message_id=message_id,
        attachment_id=attachment_id,
    )
    return FileResponse(
        path,
        media_type="application/octet-stream",
        filename=filename,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"},
    )
