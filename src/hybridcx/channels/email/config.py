"""The email channel's settings, taken from ``Settings`` by the composition root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hybridcx.channels.email.smtp import SmtpRelay

if TYPE_CHECKING:
    from hybridcx.config import Settings


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
    def from_settings(cls, settings: Settings) -> EmailConfig | None:
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
