"""Outbound mail: compose a reply with threading headers and hand it to an SMTP relay."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from urllib.parse import unquote, urlsplit

from hybridcx.channels.base import DeliveryError


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """Verifying TLS with the system's CAs, plus ``ca_file`` (a private mail server's CA)."""
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


@dataclass(frozen=True)
class SmtpRelay:
    """Where replies go: ``smtp://[user:pass@]host[:port]`` (STARTTLS optional) or
    ``smtps://`` (TLS from the first byte, port 465 by default)."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    implicit_tls: bool = False
    starttls: bool = False
    timeout: float = 30.0
    ca_file: str | None = None  # a private relay's CA, trusted besides the system's

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        starttls: bool = False,
        timeout: float = 30.0,
        ca_file: str | None = None,
    ) -> SmtpRelay:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(
                f"HYBRIDCX_SMTP_URL must look like smtp://host:port or smtps://user:pass@host; "
                f"got {url!r}"
            )
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if implicit else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            implicit_tls=implicit,
            starttls=starttls and not implicit,
            timeout=timeout,
            ca_file=ca_file,
        )

    def _send_sync(self, msg: EmailMessage, sender: str, recipients: list[str]) -> None:
        context = tls_context(self.ca_file)
        smtp: smtplib.SMTP
        if self.implicit_tls:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            smtp.ehlo()
            if self.starttls:
                smtp.starttls(context=context)
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(msg, from_addr=sender, to_addrs=recipients)

    async def send(self, msg: EmailMessage, *, sender: str, recipients: list[str]) -> None:
        """Deliver to the relay, or raise ``DeliveryError`` saying why (refused, unreachable)."""
        try:
            await asyncio.to_thread(self._send_sync, msg, sender, recipients)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP relay {self.host}:{self.port}: {exc}") from exc


def reply_subject(subject: str) -> str:
    subject = " ".join(subject.split()) or "Your message"
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def compose(
    *,
    sender: str,
    sender_name: str,
    to: str,
    subject: str,
    text: str,
    in_reply_to: str | None,
    references: list[str],
    automatic: bool,
) -> EmailMessage:
    """A plain-text reply in the customer's thread. AI answers carry ``Auto-Submitted:
    auto-replied`` (RFC 3834) so other robots do not answer them back."""
    msg = EmailMessage()
    msg["From"] = formataddr((sender_name, sender))
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    refs = [r for r in references if r]
    if in_reply_to and in_reply_to not in refs:
        refs.append(in_reply_to)
    if refs:
        # RFC 5322 asks for the whole chain; very long chains keep the root and the newest.
        msg["References"] = " ".join(refs if len(refs) <= 20 else [refs[0], *refs[-19:]])
    if automatic:
        msg["Auto-Submitted"] = "auto-replied"
    msg["X-Loop"] = sender
    msg.set_content(text)
    return msg
