"""Email in the desk: drafts (list, read, edit, approve & send, discard), attachments, and
the inbound mail log (staff only)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from hybridcx.auth.permissions import (
    ConversationHandler,
    ConversationReader,
    ConversationSupervisor,
)
from hybridcx.channels.deps import ChannelRuntimeDep
from hybridcx.channels.email import repository as erepo
from hybridcx.channels.email.drafts import DraftService, attachment_file
from hybridcx.kit.time import iso

drafts_router = APIRouter(prefix="/api/v1/conversations", tags=["email"])
# Reading drafts and attachments is reading the conversation (its team's agents, supervisors,
# admins; never an auditor); changing or sending a draft is handling it.
Reader = ConversationReader
Handler = ConversationHandler
mail_router = APIRouter(prefix="/api/v1/email", tags=["email"])


class DraftEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=100_000)


class DraftApprove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(
        default=None, min_length=1, max_length=100_000, description="Send this instead."
    )


@drafts_router.get("/{conversation_id}/drafts", summary="AI drafts of an email conversation")
async def list_drafts(
    conversation_id: str, staff: Reader, runtime: ChannelRuntimeDep
) -> dict[str, Any]:
    return {"items": await DraftService(runtime).list(conversation_id, staff)}


@drafts_router.get("/{conversation_id}/drafts/{draft_id}")
async def read_draft(
    conversation_id: str, draft_id: str, staff: Reader, runtime: ChannelRuntimeDep
) -> dict[str, Any]:
    return await DraftService(runtime).get(conversation_id, draft_id, staff)


@drafts_router.patch("/{conversation_id}/drafts/{draft_id}", summary="Edit a pending draft")
async def edit_draft(
    conversation_id: str, draft_id: str, body: DraftEdit, staff: Handler, runtime: ChannelRuntimeDep
) -> dict[str, Any]:
    return await DraftService(runtime).edit(conversation_id, draft_id, staff, body.text)


@drafts_router.post(
    "/{conversation_id}/drafts/{draft_id}/approve",
    summary="Approve a draft: it goes out by email as your reply",
)
async def approve_draft(
    conversation_id: str,
    draft_id: str,
    staff: Handler,
    runtime: ChannelRuntimeDep,
    body: DraftApprove | None = None,
) -> dict[str, Any]:
    text = body.text if body is not None else None
    return await DraftService(runtime).approve(conversation_id, draft_id, staff, text)


@drafts_router.post("/{conversation_id}/drafts/{draft_id}/discard", summary="Discard a draft")
async def discard_draft(
    conversation_id: str, draft_id: str, staff: Handler, runtime: ChannelRuntimeDep
) -> dict[str, Any]:
    return await DraftService(runtime).discard(conversation_id, draft_id, staff)


@drafts_router.get(
    "/{conversation_id}/messages/{message_id}/attachments/{attachment_id}",
    summary="Download an attachment of a customer's email (staff)",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def download_attachment(
    conversation_id: str,
    message_id: str,
    attachment_id: str,
    staff: Reader,
    runtime: ChannelRuntimeDep,
) -> Response:
    """Always a download (``application/octet-stream``): a file a customer sent is never
    rendered by the browser in the desk's origin. Stored sealed; opened here."""
    content, filename = await attachment_file(
        runtime,
        staff,
        conversation_id=conversation_id,
        message_id=message_id,
        attachment_id=attachment_id,
    )
    return Response(
        content,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": content_disposition_header(filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@mail_router.get("/inbound", summary="Recent inbound mail, with what became of it (supervisors)")
async def inbound_log(
    staff: ConversationSupervisor,
    runtime: ChannelRuntimeDep,
    status: Annotated[Literal["processed", "ignored"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Every received mail by Message-ID: ``processed`` (the conversation it went to) or
    ``ignored`` (auto-replies, bounces, list mail, our own mail) with the reason."""
    async with runtime.sessions() as session:
        rows = await erepo.recent_inbound(session, staff.workspace_id, status=status, limit=limit)
    return {
        "items": [
            {
                "message_id": r.rfc_message_id,
                "status": r.status,
                "reason": r.reason,
                "kind": (r.meta or {}).get("kind"),
                "from": r.from_addr,
                "subject": r.subject,
                "conversation_id": r.conversation_id,
                "received_at": iso(r.created_at),
            }
            for r in rows
        ]
    }


def content_disposition_header(filename: str) -> str:
    """As Starlette's FileResponse writes it: RFC 5987 for names that need quoting."""
    quoted = quote(filename)
    if quoted != filename:
        return f"attachment; filename*=utf-8''{quoted}"
    return f'attachment; filename="{filename}"'


# What app.py includes: the drafts and attachments, and the inbound mail log.
router = APIRouter()
router.include_router(drafts_router)
router.include_router(mail_router)
