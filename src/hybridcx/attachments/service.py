"""Files in web chat, both ways.

A file is one message of the conversation (``author`` customer or agent) whose
``channel_meta.attachments`` lists it: id, name, sniffed type, size, SHA-256, ``path`` (relative
to the data dir) and ``url``. The bytes are sealed with the key ring under
``<data dir>/chat/attachments/<id>/<name>`` (hybridcx.privacy.files); erasure, retention and
export reach them through ``hybridcx.privacy.attachments.CHAT``. Sending a file never runs the
AI: it is a message for the people in the conversation."""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from hybridcx.attachments.sniff import EXTENSIONS, MARKUP, SNIFFABLE, sniff
from hybridcx.audit import record as audit
from hybridcx.auth import permissions
from hybridcx.auth.permissions import Perm
from hybridcx.auth.service import CustomerPrincipal, StaffPrincipal
from hybridcx.conversations import repository as repo
from hybridcx.conversations.schemas import message_read
from hybridcx.kit.db import transaction
from hybridcx.kit.deps import HasListeners, HasSessions
from hybridcx.kit.errors import AppError, Conflict, Forbidden, NotFound, PayloadTooLarge
from hybridcx.kit.events import MessageCreated
from hybridcx.kit.filenames import safe_filename
from hybridcx.kit.ids import new_id, utcnow
from hybridcx.kit.outbox import Outbox
from hybridcx.kit.sealed import session_keyring
from hybridcx.models import Conversation, Message
from hybridcx.privacy.attachments import CHAT
from hybridcx.privacy.files import write_sealed

#: Channels whose client shows files: the web chat and the help centre's portal.
WEB_CHANNELS = frozenset({"webchat", "portal"})
_UPLOAD_PATH = re.compile(r"^/api/v1/conversations/[^/]+/attachments/?$")


class UnsupportedType(AppError):
    status_code = 415
    code = "unsupported_media_type"


def is_upload(scope: dict[str, Any]) -> bool:
    """An upload request (its body is the file): the body size limit is the attachments'."""
    return scope.get("method") == "POST" and bool(_UPLOAD_PATH.match(scope.get("path", "")))


def too_large(limit: int) -> str:
    return f"The file is too large: attachments can be at most {_human(limit)} ({limit} bytes)."


def _human(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    if n >= 1000:
        return f"{n // 1000} kB"
    return f"{n} bytes"


class AttachmentSettings(Protocol):
    """The settings uploads and downloads read (this domain sits below hybridcx.config)."""

    @property
    def chat_attachment_types(self) -> str: ...
    @property
    def chat_max_attachment_bytes(self) -> int: ...
    @property
    def data_dir(self) -> Path: ...


def accepted_types(settings: AttachmentSettings) -> list[str]:
    wanted = {t.strip().lower() for t in settings.chat_attachment_types.split(",") if t.strip()}
    return [t for t in SNIFFABLE if t in wanted]


def check_content(data: bytes, settings: AttachmentSettings) -> str:
    """The sniffed type of an upload, or a 4xx saying why it is refused."""
    if not data:
        raise UnsupportedType("The file is empty.")
    if len(data) > settings.chat_max_attachment_bytes:
        raise PayloadTooLarge(too_large(settings.chat_max_attachment_bytes))
    kind = sniff(data)
    allowed = accepted_types(settings)
    names = ", ".join(EXTENSIONS[t].lstrip(".").upper() for t in allowed) or "none"
    if kind == MARKUP:
        raise UnsupportedType(
            f"HTML, SVG and other markup files are not accepted. Accepted types: {names}."
        )
    if kind is None or kind not in allowed:
        raise UnsupportedType(f"This type of file is not accepted. Accepted types: {names}.")
    return kind


@dataclass(frozen=True)
class Download:
    content: bytes
    filename: str
    content_type: str


class AttachmentDeps(HasSessions, HasListeners, Protocol):
    """What uploads and downloads read (kit/deps.py explains the ports): the accepted types,
    the size limit and the data directory from the settings."""

    @property
    def settings(self) -> AttachmentSettings: ...


def _settings(rt: AttachmentDeps) -> AttachmentSettings:
    return rt.settings


def _url(conversation_id: str, message_id: str, attachment_id: str) -> str:
    return f"/api/v1/conversations/{conversation_id}/attachments/{message_id}/{attachment_id}"


async def _conversation(
    rt: AttachmentDeps,
    session: Any,
    conversation_id: str,
    principal: StaffPrincipal | CustomerPrincipal,
) -> Conversation:
    if isinstance(principal, StaffPrincipal):
        permissions.check(principal, Perm.CONVERSATIONS_READ)
        conv = await repo.get_conversation(
            session, conversation_id, workspace_id=principal.workspace_id, lock=True
        )
        return permissions.check_conversation(principal, conv)
    conv = await repo.get_conversation(session, conversation_id, lock=True)
    return permissions.customer_owns(principal, conv)


async def upload(
    rt: AttachmentDeps,
    conversation_id: str,
    principal: StaffPrincipal | CustomerPrincipal,
    *,
    filename: str,
    data: bytes,
) -> dict[str, Any]:
    """Store a file and add it to the conversation as a message from its sender."""
    settings = _settings(rt)
    staff = isinstance(principal, StaffPrincipal)
    outbox = Outbox()
    async with transaction(rt.sessions) as session:
        conv = await _conversation(rt, session, conversation_id, principal)
        if conv.channel not in WEB_CHANNELS:
            raise Conflict(f"Files can be sent in web chat only, not over {conv.channel}.")
        if conv.status == "resolved":
            raise Conflict("This conversation is resolved; start a new chat to send a file.")
        if isinstance(principal, StaffPrincipal) and not permissions.can_handle(principal, conv):
            if conv.status == "assigned":
                raise Forbidden("This conversation is assigned to another agent.")
            raise Conflict("Accept this conversation before sending a file.")
        content_type = check_content(data, settings)  # who may send first, then what
        att_id, msg_id = new_id(), new_id()
        name = safe_filename(filename, fallback="file" + EXTENSIONS[content_type])
        data_dir = settings.data_dir.resolve()
        root = CHAT.root(data_dir)
        path = root / att_id / name
        ring = session_keyring(session)
        await asyncio.to_thread(write_sealed, ring, root, path, data)
        meta = {
            "id": att_id,
            "filename": name,
            "content_type": content_type,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "status": "stored",
            "path": path.relative_to(data_dir).as_posix(),
            "url": _url(conv.id, msg_id, att_id),
        }
        msg = repo.add_message(
            session,
            conv,
            author="agent" if staff else "customer",
            text=f"Sent a file: {name}",
            agent_id=principal.agent_id if isinstance(principal, StaffPrincipal) else None,
            channel_meta={"attachments": [meta]},
        )
        msg.id = msg_id
        conv.updated_at = utcnow()
        await session.flush()
        names = (
            {principal.agent_id: principal.name} if isinstance(principal, StaffPrincipal) else {}
        )
        read = message_read(msg, names)
        outbox.emit(MessageCreated(conv.workspace_id, conv.id, message=read))
        if isinstance(principal, StaffPrincipal):
            audit(
                session,
                action="attachment.sent",
                actor=principal,
                target_type="conversation",
                target_id=conv.id,
                details={"attachment_id": att_id, "content_type": content_type, "size": len(data)},
            )
    await outbox.flush(rt)
    return read


async def download(
    rt: AttachmentDeps,
    conversation_id: str,
    message_id: str,
    attachment_id: str,
    principal: StaffPrincipal | CustomerPrincipal,
) -> Download:
    """One file of the conversation, opened; for its customer (their token) or its staff."""
    from sqlalchemy import select

    settings = _settings(rt)
    async with rt.sessions() as session:
        if isinstance(principal, StaffPrincipal):
            permissions.check(principal, Perm.CONVERSATIONS_READ)
            conv = permissions.check_conversation(
                principal,
                await repo.get_conversation(
                    session, conversation_id, workspace_id=principal.workspace_id
                ),
            )
        else:
            conv = permissions.customer_owns(
                principal, await repo.get_conversation(session, conversation_id)
            )
        stmt = select(Message).where(Message.id == message_id, Message.conversation_id == conv.id)
        msg = (await session.execute(stmt)).scalar_one_or_none()
        ring = session_keyring(session)
    if msg is None or (msg.internal and not isinstance(principal, StaffPrincipal)):
        raise NotFound("Attachment not found.")
    found = [a for a in CHAT.listed(msg) if a.get("id") == attachment_id]
    if not found or found[0].get("status") != "stored":
        raise NotFound("Attachment not found.")
    meta = found[0]
    content = await asyncio.to_thread(CHAT.read, ring, settings.data_dir.resolve(), meta)
    if content is None:
        raise NotFound("The attachment's file is no longer stored.")
    if isinstance(principal, StaffPrincipal):
        async with transaction(rt.sessions) as session:
            audit(
                session,
                action="attachment.read",
                actor=principal,
                target_type="conversation",
                target_id=conv.id,
                details={"attachment_id": attachment_id, "customer_id": conv.customer_id},
            )
    ctype = str(meta.get("content_type") or "application/octet-stream")
    if ctype not in SNIFFABLE:
        ctype = "application/octet-stream"
    return Download(content, str(meta.get("filename") or "attachment"), ctype)
