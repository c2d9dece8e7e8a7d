"""Attachments kept on disk under the data dir, within per-file and per-message limits, sealed
with the database's key ring (hybridcx.privacy.files; ``hybridcx keys rotate`` re-seals them).
An attachment over a limit is recorded as rejected (name, type, size, why); the message itself
is still processed. Erasure, retention and export reach them through hybridcx.privacy.attachments."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from hybridcx.channels.email.mime import Attachment
from hybridcx.kit.filenames import safe_filename
from hybridcx.kit.ids import new_id
from hybridcx.kit.keys import Keyring
from hybridcx.privacy.files import write_sealed


def store_attachments(
    attachments: list[Attachment],
    *,
    root: Path,
    data_dir: Path,
    max_bytes: int,
    max_total_bytes: int,
    keyring: Keyring,
) -> list[dict[str, Any]]:
    """Write what fits under ``root`` (one random folder per attachment) and describe each one;
    ``path`` is relative to ``data_dir`` so the data dir can move."""
    described: list[dict[str, Any]] = []
    total = 0
    for att in attachments:
        size = len(att.data)
        meta: dict[str, Any] = {
            "id": new_id(),
            "filename": safe_filename(att.filename, fallback=_fallback_name(att.content_type)),
            "content_type": att.content_type,
            "size": size,
        }
        if size > max_bytes:
            meta.update(status="rejected", reason=f"over the {max_bytes}-byte limit per file")
        elif total + size > max_total_bytes:
            meta.update(
                status="rejected", reason=f"over the {max_total_bytes}-byte limit per message"
            )
        else:
            path = root / meta["id"] / meta["filename"]
            write_sealed(keyring, root, path, att.data)
            total += size
            meta.update(
                status="stored",
                sha256=hashlib.sha256(att.data).hexdigest(),
                path=str(path.relative_to(data_dir)),
            )
        described.append(meta)
    return described


def _fallback_name(content_type: str) -> str:
    ext = {
        "application/pdf": ".pdf",
        "image/png": ".png",
        "image/jpeg": ".jpg",
        "image/gif": ".gif",
        "text/plain": ".txt",
        "message/rfc822": ".eml",
    }.get(content_type, ".bin")
    return f"attachment{ext}"
