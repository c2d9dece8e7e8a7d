"""The email channel: inbound by the built-in SMTP receiver or IMAP polling, outbound by SMTP,
AI answers for Tier 1 and agent-approved drafts for the rest (see ``service.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog

from hybridcx.channels.base import OutboundAdapter, register_adapter

if TYPE_CHECKING:
    from hybridcx.channels.deps import ChannelDeps
    from hybridcx.channels.email.config import EmailSettings
    from hybridcx.channels.email.imap import ImapPoller
    from hybridcx.channels.email.receiver import SmtpReceiver
    from hybridcx.channels.email.service import EmailChannel

log = structlog.get_logger(__name__)


def _adapter(rt: ChannelDeps) -> OutboundAdapter | None:
    """The SMTP adapter when HYBRIDCX_SUPPORT_EMAIL is set (imported on first use)."""
    from hybridcx.channels.email.adapter import adapter_factory

    return adapter_factory(rt)


# channels.base imports this package among its built-in adapters.
register_adapter("email", _adapter)


@dataclass
class EmailServices:
    """What the server runs for email; ``stop`` on shutdown."""

    channel: EmailChannel
    receiver: SmtpReceiver | None = None
    poller: ImapPoller | None = None

    async def stop(self) -> None:
        if self.poller is not None:
            await self.poller.stop()
        if self.receiver is not None:
            await self.receiver.stop()


async def start_email(rt: ChannelDeps, settings: EmailSettings) -> EmailServices | None:
    """Start the SMTP receiver (``HYBRIDCX_SMTP_INBOUND_PORT``) and the IMAP poller
    (``HYBRIDCX_IMAP_URL``) that the settings ask for; None when neither is set."""
    if settings.smtp_inbound_port is None and not settings.imap_url:
        return None
    from hybridcx.channels.email.config import EmailConfig
    from hybridcx.channels.email.service import EmailChannel

    config = EmailConfig.from_settings(settings)
    if config is None:
        raise ValueError(
            "HYBRIDCX_SUPPORT_EMAIL must be set to receive email "
            "(HYBRIDCX_SMTP_INBOUND_PORT or HYBRIDCX_IMAP_URL is set)."
        )
    services = EmailServices(channel=EmailChannel(rt, config))
    if settings.smtp_inbound_port is not None:
        from hybridcx.channels.email.receiver import SmtpReceiver

        services.receiver = await SmtpReceiver(
            services.channel,
            host=settings.smtp_inbound_host,
            port=settings.smtp_inbound_port,
            max_message_bytes=settings.email_max_message_bytes,
        ).start()
    if settings.imap_url:
        from hybridcx.channels.email.imap import ImapMailbox, ImapPoller

        services.poller = ImapPoller(
            services.channel,
            ImapMailbox.from_url(
                settings.imap_url,
                ca_file=str(settings.email_ca_file) if settings.email_ca_file else None,
            ),
            interval=settings.imap_poll_seconds,
        ).start()
    return services
