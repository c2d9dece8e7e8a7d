"""What the channels read (kit/deps.py explains the ports).

The adapters answer for the conversation service (an inbound message is a turn), so
``ChannelDeps`` is ``ConversationDeps`` with the channels' own settings: the providers'
accounts, the public URL webhooks are signed over, the phone's language and transfer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Protocol

from fastapi import Depends

from hybridcx.auth.deps import get_runtime
from hybridcx.conversations.deps import ConversationDeps
from hybridcx.kit.deps import DataDirSettings, HasEngine, PublicUrlSettings

if TYPE_CHECKING:
    from hybridcx.channels.email.config import EmailConfig


class TwilioAccountSettings(Protocol):
    @property
    def twilio_account_sid(self) -> str | None: ...

    @property
    def twilio_auth_token(self) -> str | None: ...

    @property
    def twilio_api_url(self) -> str: ...


class TwilioClientDeps(Protocol):
    @property
    def settings(self) -> TwilioAccountSettings: ...


class WebhookSettings(PublicUrlSettings, Protocol):
    @property
    def twilio_auth_token(self) -> str | None: ...


class WebhookDeps(Protocol):
    """Checking a Twilio webhook's signature: the auth token, over the public URL."""

    @property
    def settings(self) -> WebhookSettings: ...


class ChannelSettings(TwilioAccountSettings, WebhookSettings, DataDirSettings, Protocol):
    @property
    def twilio_sms_from(self) -> str | None: ...

    @property
    def voice_language(self) -> str: ...

    @property
    def voice_transfer(self) -> str: ...

    @property
    def voice_transfer_target(self) -> str | None: ...


class ChannelDeps(ConversationDeps, HasEngine, Protocol):
    @property
    def settings(self) -> ChannelSettings: ...

    @property
    def email(self) -> EmailConfig | None:
        """The email channel's settings; None when HYBRIDCX_SUPPORT_EMAIL is not set."""
        ...


# The channel endpoints' FastAPI dependency: the process's runtime (app.py checks it fits).
ChannelRuntimeDep = Annotated[ChannelDeps, Depends(get_runtime)]
