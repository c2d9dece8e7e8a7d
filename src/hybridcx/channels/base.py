"""What every channel shares: capabilities, the outbound adapter protocol, the adapter registry,
and how a reply degrades on a channel that cannot show everything (Rasa's numbered-options
fallback for quick replies)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from hybridcx.channels.deps import ChannelDeps
    from hybridcx.models import Conversation

Markup = Literal["text", "html", "ssml"]


@dataclass(frozen=True)
class Capabilities:
    """What a channel can render. ``max_length`` is per message (None: no limit)."""

    buttons: bool
    attachments: bool
    max_length: int | None
    markup: Markup = "text"
    # Also send status lines such as "Alice has joined the conversation." (SMS: yes; email,
    # where each one would be a mail, and calls: no).
    status_messages: bool = False


WEB_CAPABILITIES = Capabilities(buttons=True, attachments=False, max_length=None, markup="html")


class DeliveryError(Exception):
    """The channel's provider refused or could not be reached; recorded on the message."""


class OutboundAdapter(Protocol):
    """Delivers a message that is already stored to the customer over one channel.

    ``send`` gets the conversation (with its ``channel_meta``: numbers, thread ids, call sid) and
    the message as the API shows it (``message_read``). It returns what the channel wants kept on
    the message's ``channel_meta`` (such as the provider's message id), or raises
    ``DeliveryError``. It is called after the message's transaction committed, never inside it.
    """

    channel: str
    capabilities: Capabilities

    async def send(
        self, rt: ChannelDeps, conversation: Conversation, message: dict[str, Any]
    ) -> dict[str, Any]: ...


@runtime_checkable
class AgentConnector(Protocol):
    """An adapter whose channel needs the person who took a conversation connected to the
    customer (a phone call: ring the agent and bridge them to the waiting caller).

    ``agent_assigned`` runs after the assignment committed (accept, take-over, transfer, the
    queue's dispatch). Best effort: failures are recorded on the conversation, never raised."""

    async def agent_assigned(self, rt: ChannelDeps, conversation: Conversation) -> None: ...


AdapterFactory = Callable[["ChannelDeps"], OutboundAdapter | None]

# channel name -> factory(runtime) -> adapter, or None when the channel is not configured.
_ADAPTERS: dict[str, AdapterFactory] = {}


def register_adapter(channel: str, factory: AdapterFactory) -> None:
    """Make ``channel``'s outbound adapter known; the last registration wins (tests, plugins)."""
    _ADAPTERS[channel] = factory


def adapter_for(rt: ChannelDeps, channel: str) -> OutboundAdapter | None:
    """The adapter that answers on ``channel``, or None (web chat and unknown channels: the
    customer reads replies over the API and WebSocket)."""
    _load_builtin_adapters()
    factory = _ADAPTERS.get(channel)
    return factory(rt) if factory is not None else None


def registered_channels() -> list[str]:
    _load_builtin_adapters()
    return sorted(_ADAPTERS)


_loaded = False


def _load_builtin_adapters() -> None:
    """Import the built-in providers once; each registers itself at import."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    import importlib

    for module in BUILTIN_ADAPTER_MODULES:
        try:
            importlib.import_module(module)
        except ImportError as exc:  # an optional provider whose package is missing
            import structlog

            structlog.get_logger(__name__).warning(
                "channels.adapter_unavailable", module=module, error=str(exc)
            )


# Explicit list (no entry-point scanning): each module calls register_adapter() at import.
BUILTIN_ADAPTER_MODULES: list[str] = [
    "hybridcx.channels.twilio.sms",
    "hybridcx.channels.twilio.voice",
    "hybridcx.channels.email",
]


def degrade(text: str, buttons: Sequence[str], caps: Capabilities) -> str:
    """The text a channel without buttons shows: the quick replies as numbered options.

    A reply of the option's number picks it (see ``pick_option``). When the text already lists
    the options as "1) …; 2) …" (some flows do), it is not repeated."""
    if caps.buttons or not buttons:
        return text
    if all(f"{i}) {label}" in text for i, label in enumerate(buttons, 1)):
        return text
    lines = [f"{i}) {label}" for i, label in enumerate(buttons, 1)]
    hint = "Reply with a number."
    return f"{text}\n" + "\n".join(lines) + f"\n{hint}"


def pick_option(text: str, buttons: Sequence[str]) -> str:
    """A bare number answering numbered options becomes that option's label; anything else is
    returned unchanged (so "2" picks option 2, and "2 please" or an order number do not)."""
    stripped = text.strip().rstrip(".").strip()
    if buttons and stripped.isdigit():
        n = int(stripped)
        if 1 <= n <= len(buttons):
            return buttons[n - 1]
    return text
