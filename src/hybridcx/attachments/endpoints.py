"""Files in web chat: upload (the request body is the file) and download, for the
conversation's customer (their token) and its workspace's staff."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from hybridcx.attachments import service
from hybridcx.auth.deps import AnyPrincipal, get_runtime
from hybridcx.conversations.schemas import MessageRead
from hybridcx.kit.errors import PayloadTooLarge
from hybridcx.kit.filenames import content_disposition

router = APIRouter(prefix="/api/v1/conversations", tags=["attachments"])

# The process's runtime as the attachment service reads it (app.py checks that it fits).
AttachmentRuntimeDep = Annotated[service.AttachmentDeps, Depends(get_runtime)]


@router.post(
    "/{conversation_id}/attachments",
    status_code=201,
    summary="Send a file in web chat (customer or staff)",
    response_model=MessageRead,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def upload_attachment(
    conversation_id: str,
    request: Request,
    principal: AnyPrincipal,
    runtime: AttachmentRuntimeDep,
    filename: Annotated[str, Query(min_length=1, max_length=255)],
) -> dict[str, Any]:
    """The body is the file's bytes. Its type is sniffed from the bytes (PNG, JPEG, GIF,
    WebP, PDF, plain text by default; the Content-Type header is ignored); HTML and SVG are
    refused (415), a file over the limit is a 413. Returns the message that carries it."""
    limit = runtime.settings.chat_max_attachment_bytes
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(service.too_large(limit))
        chunks.append(chunk)
    return await service.upload(
        runtime, conversation_id, principal, filename=filename, data=b"".join(chunks)
    )


@router.get(
    "/{conversation_id}/attachments/{message_id}/{attachment_id}",
    summary="Download a file of a web chat (the conversation's customer or staff)",
    response_class=Response,
)
async def download_attachment(
    conversation_id: str,
    message_id: str,
    attachment_id: str,
    principal: AnyPrincipal,
    runtime: AttachmentRuntimeDep,
) -> Response:
    """Always ``Content-Disposition: attachment`` with ``nosniff`` and a sandboxing CSP: a file
    someone sent is never rendered as a page in this origin (the pages show images from the
    bytes they fetch)."""
    found = await service.download(runtime, conversation_id, message_id, attachment_id, principal)
    return Response(
        found.content,
        media_type=found.content_type,
        headers={
            "Content-Disposition": content_disposition(found.filename),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
        },
    )
