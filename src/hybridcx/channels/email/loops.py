"""Recognise mail that must never be answered: auto-replies, bounces, list and bulk mail, and
our own messages coming back. Answering any of them is how mail loops start (RFC 3834)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses

_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|abwesenheitsnotiz"
    r"|r[ée]ponse automatique|undeliverable|undelivered mail|delivery status notification"
    r"|mail delivery (failed|failure|system)|returned mail|failure notice|vacation reply)\b",
    re.IGNORECASE,
)
_DAEMONS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})


@dataclass(frozen=True)
class LoopVerdict:
    """Why a message is not answered: ``kind`` is bounce, auto_reply, bulk or own_message."""

    kind: str
    reason: str


def _addr(value: str | None) -> str:
    pairs = getaddresses([value or ""])
    return pairs[0][1].strip().lower() if pairs else ""


def classify(
    msg: EmailMessage, *, support_email: str, envelope_sender: str | None = None
) -> LoopVerdict | None:
    """The reason this message must not be answered, or None for mail a person wrote."""
    sender = _addr(str(msg.get("From", "")))
    if sender and sender == support_email.lower():
        return LoopVerdict("own_message", "from our own address")
    content_type = msg.get_content_type()
    if content_type == "multipart/report":
        report = str(msg.get_param("report-type", "") or "").lower()
        kind = "bounce" if report in ("delivery-status", "") else "auto_reply"
        return LoopVerdict(kind, f"multipart/report ({report or 'unspecified'})")
    return_path = msg.get("Return-Path")
    if envelope_sender is not None and envelope_sender.strip() in ("", "<>"):
        return LoopVerdict("bounce", "null envelope sender (MAIL FROM:<>)")
    if return_path is not None and str(return_path).strip() in ("<>", ""):
        return LoopVerdict("bounce", "Return-Path: <>")
    if sender.partition("@")[0] in _DAEMONS:
        return LoopVerdict("bounce", f"sent by {sender}")
    auto = str(msg.get("Auto-Submitted", "")).strip().lower()
    if auto and not auto.startswith("no"):
        return LoopVerdict("auto_reply", f"Auto-Submitted: {auto}")
    for header in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply"):
        if msg.get(header) is not None:
            return LoopVerdict("auto_reply", f"{header} header")
    precedence = str(msg.get("Precedence", "")).strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return LoopVerdict(
            "bulk" if precedence != "auto_reply" else "auto_reply", f"Precedence: {precedence}"
        )
    if msg.get("List-Id") is not None:
        return LoopVerdict("bulk", "List-Id header (mailing list)")
    if msg.get("X-Loop") is not None and support_email.lower() in str(msg["X-Loop"]).lower():
        return LoopVerdict("own_message", "X-Loop names our address")
    subject = str(msg.get("Subject", ""))
    if _AUTO_SUBJECT.match(subject):
        return LoopVerdict("auto_reply", f"subject looks automatic: {subject[:80]!r}")
    return None
