"""Attachment file stores as personal-data stores. Each stored file is listed in its message's
``channel_meta`` (id, name, type, size, sha256, path relative to the data dir) and sealed with
the key ring (``files.py``):

- ``email/attachments``: files customers attached to their mail, listed in
  ``channel_meta.email.attachments`` (customer messages);
- ``chat/attachments``: files sent in web chat by the customer or by staff, listed in
  ``channel_meta.attachments`` (hybridcx.attachments).

Both stores share the code below (:class:`AttachmentStore`); the module-level functions are
the email store's, as before."""

from __future__ import annotations

import base64
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from hybridcx.kit.keys import Keyring
from hybridcx.kit.sealed import session_keyring
from hybridcx.models import Message
from hybridcx.privacy.files import read_sealed
from hybridcx.privacy.registry import ErasureContext, ExportContext, RetentionContext

STORE = "email/attachments"
CHAT_STORE = "chat/attachments"


def _email_listed(message: Message) -> list[dict[str, Any]]:
    email = (message.channel_meta or {}).get("email") or {}
    found = email.get("attachments") if isinstance(email, dict) else None
    return [a for a in found or [] if isinstance(a, dict)]


def _chat_listed(message: Message) -> list[dict[str, Any]]:
    found = (message.channel_meta or {}).get("attachments")
    return [a for a in found or [] if isinstance(a, dict)] if isinstance(found, list) else []


@dataclass(frozen=True)
class AttachmentStore:
    """A folder under the data dir whose files are listed in messages' ``channel_meta``."""

    folder: str
    list_of: Callable[[Message], list[dict[str, Any]]]
    # Only messages by these authors list files here (None: any author).
    authors: tuple[str, ...] | None = None

    def root(self, data_dir: Path) -> Path:
        return data_dir / self.folder

    def listed(self, message: Message) -> list[dict[str, Any]]:
        """The attachments a message lists (stored or rejected)."""
        return self.list_of(message)

    def resolve(self, data_dir: Path, meta: dict[str, Any]) -> Path | None:
        """The file of a stored attachment, or None when its path would leave the store."""
        root = self.root(data_dir).resolve()
        path = (data_dir / str(meta.get("path", ""))).resolve()
        return path if path.is_relative_to(root) and path != root else None

    def read(self, ring: Keyring, data_dir: Path, meta: dict[str, Any]) -> bytes | None:
        """The content of a stored attachment (opened), or None when the file is missing."""
        path = self.resolve(data_dir, meta)
        if path is None or not path.is_file():
            return None
        return read_sealed(ring, self.root(data_dir).resolve(), path)

    async def messages(self, session: Any, conv_ids: list[str]) -> list[Message]:
        out: list[Message] = []
        for i in range(0, len(conv_ids), 500):
            stmt = select(Message).where(Message.conversation_id.in_(conv_ids[i : i + 500]))
            if self.authors is not None:
                stmt = stmt.where(Message.author.in_(self.authors))
            out.extend((await session.execute(stmt.order_by(Message.seq))).scalars())
        return out

    def remove(self, data_dir: Path, meta: dict[str, Any]) -> bool:
        """Delete the attachment's folder (one per attachment); a file already gone is fine,
        so a retried erasure finishes."""
        path = self.resolve(data_dir, meta)
        if path is None or meta.get("status") != "stored":
            return False
        root = self.root(data_dir).resolve()
        folder = path.parent if path.parent != root else path
        existed = path.exists()
        if folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        return existed

    async def _remove_for(self, session: Any, data_dir: Path | None, conv_ids: list[str]) -> int:
        if data_dir is None or not conv_ids:
            return 0
        removed = 0
        for message in await self.messages(session, conv_ids):
            removed += sum(self.remove(data_dir, a) for a in self.listed(message))
        return removed

    async def erase(self, ctx: ErasureContext) -> int:
        # Files go before the transaction commits: if it then fails, the request stays
        # pending and its retry finds the files already gone.
        return await self._remove_for(ctx.session, ctx.data_dir, ctx.conversation_ids)

    async def retain(self, ctx: RetentionContext) -> int:
        return await self._remove_for(ctx.session, ctx.data_dir, ctx.conversation_ids)

    async def export(self, ctx: ExportContext) -> None:
        """Every attachment of the customer's conversations, with its content (base64) when
        it was stored: the export is one self-contained document."""
        out = ctx.document.setdefault("attachments", [])
        data_dir = ctx.data_dir
        ring = session_keyring(ctx.session)
        for message in await self.messages(ctx.session, ctx.conversation_ids):
            for meta in self.listed(message):
                item = {
                    "conversation_id": message.conversation_id,
                    "message_id": message.id,
                    **{
                        k: meta.get(k) for k in ("id", "filename", "content_type", "size", "status")
                    },
                }
                if self.authors is None:
                    item["author"] = message.author
                if meta.get("status") == "stored":
                    item["sha256"] = meta.get("sha256")
                    content = self.read(ring, data_dir, meta) if data_dir is not None else None
                    item["content_base64"] = (
                        base64.b64encode(content).decode() if content is not None else None
                    )
                else:
                    item["reason"] = meta.get("reason")
                out.append(item)


EMAIL = AttachmentStore(STORE, _email_listed, authors=("customer",))
CHAT = AttachmentStore(CHAT_STORE, _chat_listed)


# ---- the email store, as module functions (its callers predate the chat store) -------------


def store_root(data_dir: Path) -> Path:
    return EMAIL.root(data_dir)


def listed(message: Message) -> list[dict[str, Any]]:
    """The attachments a customer's email lists (stored or rejected)."""
    return EMAIL.listed(message)


def resolve(data_dir: Path, meta: dict[str, Any]) -> Path | None:
    return EMAIL.resolve(data_dir, meta)


def read(ring: Keyring, data_dir: Path, meta: dict[str, Any]) -> bytes | None:
    return EMAIL.read(ring, data_dir, meta)


async def erase(ctx: ErasureContext) -> int:
    return await EMAIL.erase(ctx)


async def retain(ctx: RetentionContext) -> int:
    return await EMAIL.retain(ctx)


async def export(ctx: ExportContext) -> None:
    await EMAIL.export(ctx)
