"""Strip what a reply quotes from earlier mail, so the AI and the transcript get only what the
customer wrote this time: "On … wrote:" headers (and their translations), ">" blocks, Outlook
and Apple Mail separators, signatures after "-- " and "Sent from my phone" footers."""

from __future__ import annotations

import re

# A reply header, possibly wrapped over two lines by the client ("On Mon, … <a@b.c>\nwrote:").
_ATTRIBUTION = re.compile(
    r"^\s*(On\b.{0,300}\bwrote:|Le\b.{0,300}\ba écrit\s?:|Am\b.{0,300}\bschrieb.{0,60}:"
    r"|El\b.{0,300}\bescribió:|Il giorno\b.{0,300}\bha scritto:|Op\b.{0,300}\bschreef.{0,60}:)\s*$",
    re.IGNORECASE,
)
_SEPARATORS = re.compile(
    r"^\s*(-{2,}\s*Original Message\s*-{2,}|-{2,}\s*Reply above this line\s*-{2,}"
    r"|#{2,}\s*Please type your reply above this line\s*#{2,}|_{20,}|-{20,}"
    r"|Begin forwarded message:|-{2,}\s*Forwarded message\s*-{2,})\s*$",
    re.IGNORECASE,
)
_HEADER_LINE = re.compile(r"^\s*\**(From|Sent|Date|To|Subject|Cc)\**\s*:", re.IGNORECASE)
_MOBILE_FOOTER = re.compile(
    r"^\s*(Sent from my \w+|Sent from (Mail|Outlook|Yahoo Mail) for \w+|Get Outlook for \w+"
    r"|Sent from my (iPhone|iPad|Android|BlackBerry|mobile device|Galaxy|phone))\b.{0,40}$",
    re.IGNORECASE,
)


def _header_block_at(lines: list[str], i: int) -> bool:
    """Outlook's quoted header: "From: …" followed closely by "Sent:"/"Date:" and "To:"/"Subject:"."""
    if not re.match(r"^\s*\**From\**\s*:", lines[i], re.IGNORECASE):
        return False
    window = lines[i + 1 : i + 6]
    return sum(1 for line in window if _HEADER_LINE.match(line)) >= 2


def _cut_index(lines: list[str]) -> int:
    for i, line in enumerate(lines):
        if _ATTRIBUTION.match(line) or _SEPARATORS.match(line) or _header_block_at(lines, i):
            return i
        if i + 1 < len(lines) and _ATTRIBUTION.match(f"{line} {lines[i + 1]}"):
            return i
        if line == "-- " or line.rstrip() == "--":  # the signature delimiter
            return i
        if _MOBILE_FOOTER.match(line) and not any(x.strip() for x in lines[i + 1 : i + 3]):
            return i
    return len(lines)


def strip_quoted(text: str) -> str:
    """What the customer wrote this time. Falls back to the whole text when stripping would
    leave nothing (a message that is only a forward, or only a quote)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = lines[: _cut_index(lines)]
    own = [line for line in kept if not line.lstrip().startswith(">")]
    result = "\n".join(own).strip()
    result = re.sub(r"\n{3,}", "\n\n", result)
    return result or text.strip()
