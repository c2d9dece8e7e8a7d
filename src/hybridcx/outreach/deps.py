"""What outreach reads (kit/deps.py explains the ports)."""

from __future__ import annotations

from typing import Protocol

from hybridcx.kit.deps import HasListeners, HasSessions


class OutreachSettings(Protocol):
    """Quiet hours, the default time zone and the weekly cap; the SMS sender number."""

    @property
    def outreach_quiet_start_hour(self) -> int: ...

    @property
    def outreach_quiet_end_hour(self) -> int: ...

    @property
    def outreach_timezone(self) -> str: ...

    @property
    def outreach_weekly_cap(self) -> int: ...

    @property
    def twilio_sms_from(self) -> str | None: ...


class OutreachDeps(HasSessions, HasListeners, Protocol):
    @property
    def settings(self) -> OutreachSettings: ...
