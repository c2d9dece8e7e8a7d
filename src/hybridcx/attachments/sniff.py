"""What a file is, from its first bytes (magic numbers), never from the name or the client's
Content-Type. Only the few types web chat accepts are recognised; markup (HTML, SVG, XML) is
recognised in order to be refused, since a browser would run its scripts."""

from __future__ import annotations

import re

SNIFFABLE = (
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
)
EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "text/plain": ".txt",
}
MARKUP = "markup"  # HTML, SVG or XML: refused whatever the settings say

# After a BOM and whitespace: a tag, a comment, a doctype or an XML declaration.
_MARKUP_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<\s*[!?/a-zA-Z]")
_MARKUP_ANYWHERE = re.compile(rb"<\s*(?:script|svg|html|iframe|object|embed)\b", re.IGNORECASE)
_TEXT_CONTROLS = set(range(32)) - {9, 10, 12, 13}


def sniff(data: bytes) -> str | None:
    """The sniffed type (one of ``SNIFFABLE``), ``MARKUP``, or None when unrecognised."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    head = data[:4096]
    if _MARKUP_START.match(head) or _MARKUP_ANYWHERE.search(head):
        return MARKUP
    if data and _is_text(data):
        return "text/plain"
    return None


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any(ord(ch) in _TEXT_CONTROLS for ch in text)
