"""The email channel's settings, taken from ``Settings`` by the composition root.

The channel sits below the composition layer, so it names what it reads (``EmailSettings``)
instead of importing ``hybridcx.config``; ``Settings`` satisfies it (mypy checks that where
the composition root passes it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from hybridcx.channels.email.smtp import SmtpRelay


class EmailSettings(Protocol):
    """The HYBRIDCX_* settings the email channel reads (outbound, inbound and limits)."""

    @property
    def support_email(self) -> str | None: ...
    @property
    def support_email_name(self) -> str: ...
    @property
    def smtp_url(self) -> str | None: ...
    @property
    def smtp_starttls(self) -> bool: ...
    @property
    def email_ca_file(self) -> Path | None: ...
    @property
    def data_dir(self) -> Path: ...
    @property
    def email_max_attachment_bytes(self) -> int: ...
    @property
    def email_max_total_attachment_bytes(self) -> int: ...
    @property
    def email_max_message_bytes(self) -> int: ...
    @property
    def smtp_inbound_port(self) -> int | None: ...
    @property
    def smtp_inbound_host(self) -> str: ...
    @property
    def imap_url(self) -> str | None: ...
    @property
    def imap_poll_seconds(self) -> float: ...


@dataclass(frozen=True)
class EmailConfig:
    support_email: str
    support_name: str
    relay: SmtpRelay | None
    data_dir: Path
    max_attachment_bytes: int
    max_total_attachment_bytes: int

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "email" / "attachments"

    @classmethod
    def from_settings(cls, settings: EmailSettings) -> EmailConfig | None:
        """None when no support address is set (the channel is off)."""
        if not settings.support_email:
            return None
        relay = (
            SmtpRelay.from_url(
                settings.smtp_url,
                starttls=settings.smtp_starttls,
                ca_file=str(settings.email_ca_file) if settings.email_ca_file else None,
            )
            if settings.smtp_url
            else None
        )
        return cls(
            support_email=settings.support_email.strip().lower(),
            support_name=settings.support_email_name,
            relay=relay,
            data_dir=settings.data_dir.resolve(),
            max_attachment_bytes=settings.email_max_attachment_bytes,
            max_total_attachment_bytes=settings.email_max_total_attachment_bytes,
        )
