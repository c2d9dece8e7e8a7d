"""The attachment file store (``<data dir>/email/attachments``) as a personal-data store: each
stored file is listed in its message's ``channel_meta.email.attachments`` (id, name, type,
size, sha256, path relative to the data dir) and sealed with the key ring (``files.py``)."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select

from hybridcx.models import Message
from hybridcx.privacy.fields import session_keyring
from hybridcx.privacy.files import read_sealed
from hybridcx.privacy.keys import Keyring
from hybridcx.privacy.registry import ErasureContext, ExportContext, RetentionContext

STORE = "email/attachments"


def store_root(data_dir: Path) -> Path:
    return data_dir / STORE


def listed(message: Message) -> list[dict[str, Any]]:
    """The attachments a message lists (stored or rejected)."""
    email = (message.channel_meta or {}).get("email") or {}
    found = email.get("attachments") if isinstance(email, dict) else None
    return [a for a in found or [] if isinstance(a, dict)]


def resolve(data_dir: Path, meta: dict[str, Any]) -> Path | None:
    """The file of a stored attachment, or None when its path would leave the store."""
    root = store_root(data_dir).resolve()
    path = (data_dir / str(meta.get("path", ""))).resolve()
    return path if path.is_relative_to(root) and path != root else None


def read(ring: Keyring, data_dir: Path, meta: dict[str, Any]) -> bytes | None:
    """The content of a stored attachment (opened), or None when the file is missing."""
    path = resolve(data_dir, meta)
    if path is None or not path.is_file():
        return None
    return read_sealed(ring, store_root(data_dir).resolve(), path)


async def _messages(session: Any, conv_ids: list[str]) -> list[Message]:
    out: list[Message] = []
    for i in range(0, len(conv_ids), 500):
        stmt = (
            select(Message)
            .where(Message.conversation_id.in_(conv_ids[i : i + 500]), Message.author == "customer")
            .order_by(Message.seq)
        )
        out.extend((await session.execute(stmt)).scalars())
    return out


def _remove(data_dir: Path, meta: dict[str, Any]) -> bool:
    """Delete the attachment's folder (one per attachment); a file already gone is fine, so a
    retried erasure finishes."""
    path = resolve(data_dir, meta)
    if path is None or meta.get("status") != "stored":
        return False
    root = store_root(data_dir).resolve()
    folder = path.parent if path.parent != root else path
    existed = path.exists()
    if folder.is_dir():
        shutil.rmtree(folder, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
    return existed


async def _remove_for(session: Any, data_dir: Path | None, conv_ids: list[str]) -> int:
    if data_dir is None or not conv_ids:
        return 0
    removed = 0
    for message in await _messages(session, conv_ids):
        removed += sum(_remove(data_dir, a) for a in listed(message))
    return removed


async def erase(ctx: ErasureContext) -> int:
    # Files go before the transaction commits: if it then fails, the request stays pending
    # and its retry finds the files already gone.
    return await _remove_for(ctx.session, ctx.data_dir, ctx.conversation_ids)


async def retain(ctx: RetentionContext) -> int:
    return await _remove_for(ctx.session, ctx.data_dir, ctx.conversation_ids)


async def export(ctx: ExportContext) -> None:
    """Every attachment the customer sent, with its content (base64) when it was stored:
    the export is one self-contained document."""
    out = ctx.document.setdefault("attachments", [])
    data_dir = ctx.data_dir
    ring = session_keyring(ctx.session)
    for message in await _messages(ctx.session, ctx.conversation_ids):
        for meta in listed(message):
            item = {
                "conversation_id": message.conversation_id,
                "message_id": message.id,
                **{k: meta.get(k) for k in ("id", "filename", "content_type", "size", "status")},
            }
            if meta.get("status") == "stored":
                item["sha256"] = meta.get("sha256")
                content = read(ring, data_dir, meta) if data_dir is not None else None
                item["content_base64"] = (
                    base64.b64encode(content).decode() if content is not None else None
                )
            else:
                item["reason"] = meta.get("reason")
            out.append(item)
