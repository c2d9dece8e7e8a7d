"""Parse an RFC 5322 message (``email.policy.default``) into what the channel needs: who wrote,
the thread ids, the text the customer wrote this time, and the attachments."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr

from hybridcx.channels.email.html import html_to_text
from hybridcx.channels.email.quotes import strip_quoted

_MSGID = re.compile(r"<[^<>\s]+>")


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class ParsedEmail:
    message: EmailMessage
    message_id: str | None
    in_reply_to: list[str]
    references: list[str]
    from_addr: str
    from_name: str
    to: list[str]
    cc: list[str]
    subject: str
    body: str  # the whole text part (HTML converted), quotes included
    text: str  # what the customer wrote this time
    body_format: str  # plain | html | none
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def thread_ids(self) -> list[str]:
        """Ids this message answers, nearest first: In-Reply-To, then References newest first."""
        seen: list[str] = []
        for mid in [*self.in_reply_to, *reversed(self.references)]:
            if mid not in seen:
                seen.append(mid)
        return seen


def message_ids(value: object) -> list[str]:
    """The ``<id>`` tokens of a Message-ID / In-Reply-To / References header."""
    return _MSGID.findall(str(value or ""))


def _decoded_text(part: Message) -> str:
    try:
        return str(part.get_content())  # type: ignore[attr-defined]
    except (LookupError, UnicodeError, AssertionError):
        raw = part.get_payload(decode=True) or b""
        assert isinstance(raw, bytes)
        return raw.decode("utf-8", errors="replace")


def _is_attachment(part: Message) -> bool:
    disposition = part.get_content_disposition()
    if disposition == "attachment":
        return True
    if part.get_filename() and not part.get_content_type().startswith("text/"):
        return True
    return part.get_content_maintype() not in ("text", "multipart")


def _attachments(msg: Message, body_parts: set[int]) -> list[Attachment]:
    found: list[Attachment] = []

    def visit(part: Message) -> None:
        if id(part) in body_parts:
            return
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            inner = part.get_payload()
            first = inner[0] if isinstance(inner, list) and inner else None
            data = first.as_bytes() if isinstance(first, Message) else part.as_bytes()
            found.append(Attachment(part.get_filename() or "forwarded.eml", ctype, data))
            return
        if part.is_multipart():
            for sub in part.iter_parts():  # type: ignore[attr-defined]
                visit(sub)
            return
        if part is msg or not _is_attachment(part):
            return
        payload = part.get_payload(decode=True) or b""
        assert isinstance(payload, bytes)
        found.append(Attachment(part.get_filename() or "", ctype, payload))

    visit(msg)
    return found


def _addresses(msg: EmailMessage, header: str) -> list[str]:
    values = [str(v) for v in msg.get_all(header, [])]
    return [addr.lower() for _, addr in getaddresses(values) if addr]


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse raw message bytes; never raises for a malformed message (defects are tolerated the
    way mail clients tolerate them)."""
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    body_parts: set[int] = set()
    body, fmt = "", "none"
    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    if plain is not None:
        body, fmt = _decoded_text(plain), "plain"
        body_parts.add(id(plain))
        if html is not None:
            body_parts.add(id(html))
    elif html is not None:
        body, fmt = html_to_text(_decoded_text(html)), "html"
        body_parts.add(id(html))
    name, addr = parseaddr(str(msg.get("From", "")))
    ids = message_ids(msg.get("Message-ID"))
    return ParsedEmail(
        message=msg,
        message_id=ids[0] if ids else None,
        in_reply_to=message_ids(msg.get("In-Reply-To")),
        references=message_ids(msg.get("References")),
        from_addr=addr.strip().lower(),
        from_name=name.strip(),
        to=_addresses(msg, "To"),
        cc=_addresses(msg, "Cc"),
        subject=str(msg.get("Subject", "") or "").strip(),
        body=body.strip(),
        text=strip_quoted(body) if body.strip() else "",
        body_format=fmt,
        attachments=_attachments(msg, body_parts),
    )
