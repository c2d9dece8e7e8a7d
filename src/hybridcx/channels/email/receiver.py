"""The built-in SMTP receiver (aiosmtpd): mail for the support address is processed as it
arrives; any other recipient is refused with 550, so the receiver is no open relay.

It runs on the server's event loop (started by the app's lifespan when
``HYBRIDCX_SMTP_INBOUND_PORT`` is set) or on its own (``hybridcx email receive``)."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from aiosmtpd.smtp import SMTP, Envelope, Session

from hybridcx.channels.email.service import EmailChannel

log = structlog.get_logger(__name__)


class SupportMailHandler:
    """aiosmtpd hooks: accept only the support address; process DATA before answering 250, so
    a failure answers 451 and the sending server retries later instead of losing the mail."""

    def __init__(self, channel: EmailChannel) -> None:
        self.channel = channel
        self.support = channel.config.support_email.lower()

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address.strip().lower() != self.support:
            log.info("email.rcpt_rejected", rcpt=address, peer=str(session.peer))
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            outcome = await self.channel.receive(raw, mail_from=envelope.mail_from, source="smtp")
        except Exception as exc:
            log.error("email.receive_failed", error=repr(exc), exc_info=True)
            return "451 4.3.0 Temporary failure processing the message; try again later"
        return f"250 2.0.0 Message {outcome.status}"


class SmtpReceiver:
    """A listening SMTP server on the current event loop."""

    def __init__(
        self,
        channel: EmailChannel,
        *,
        host: str,
        port: int,
        max_message_bytes: int = 35_000_000,
    ) -> None:
        self.channel = channel
        self.host = host
        self.port = port
        self.max_message_bytes = max_message_bytes
        self.handler = SupportMailHandler(channel)
        self._server: asyncio.base_events.Server | None = None

    def _protocol(self) -> Any:
        return SMTP(
            self.handler,
            data_size_limit=self.max_message_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=self.channel.config.support_email.rpartition("@")[2] or None,
            ident="hybridcx ESMTP",
            timeout=120,
        )

    async def start(self) -> SmtpReceiver:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, self.host, self.port)
        sock = self._server.sockets[0].getsockname()
        self.port = int(sock[1])
        log.info("email.smtp_listening", host=self.host, port=self.port)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
