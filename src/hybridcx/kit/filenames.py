"""Safe file names for files customers and staff send (email and web chat attachments)."""

from __future__ import annotations

import re
import unicodedata

_UNSAFE = re.compile(r"[^\w.\- ()+,@=]+", re.UNICODE)


def safe_filename(name: str, fallback: str = "attachment") -> str:
    """A file name that cannot leave its folder or surprise a shell: basename only, no control
    or path characters, no leading dots, at most 120 characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", name).strip(" .")
    if not name:
        name = fallback
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:110] + "." + ext[:8]) if dot and len(ext) <= 8 else name[:120]
    return name


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """A Content-Disposition header, as Starlette's FileResponse writes it: RFC 5987 for
    names that need quoting."""
    from urllib.parse import quote

    quoted = quote(filename)
    if quoted != filename:
        return f"{disposition}; filename*=utf-8''{quoted}"
    return f'{disposition}; filename="{filename}"'
