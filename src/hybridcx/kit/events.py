"""Typed events and their listeners.

A service that changes something says so with an event from this module instead of building a
payload dict or importing the edge that reacts to it. Events raised during a transaction are
collected by an ``Outbox`` (``outbox.emit(event)``) and dispatched only after the commit
(``await outbox.flush(rt)``); an event raised after a commit may be dispatched at once
(``await rt.events.dispatch(rt, event)``).

The reactions are listeners, registered once per process at start-up by the composition root
(``hybridcx.runtime``): the bus publishes every ``LiveEvent`` to the WebSockets and the desks;
``hybridcx.channels.outbound`` sends a ``MessageToSend`` through the conversation's channel.
A listener is ``async def listener(rt, event)``; what it returns goes back to the dispatcher
(``dispatch`` returns the results of the listeners that succeeded, in registration order). A
listener that raises is logged and skipped: the data is already stored, so a failing side
effect never fails the request.

Live events know their bus channels and their payload: the payloads are the wire format of the
WebSockets (docs/api.md) and must not change. A live event emitted inside ``transaction()`` is
also written to the ``event_outbox`` table by that transaction (kit.outbox, ops.outbox): it
reaches the sockets even if the process dies right after the commit, and carries an
``event_id`` sockets resume from.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import structlog

from hybridcx.kit.bus import customer_channel, staff_channel

log = structlog.get_logger(__name__)

Payload = dict[str, Any]


@dataclass(frozen=True)
class Event:
    """Something that happened (and was committed)."""


# ---- live events: published on the bus, to the customer's conversation and/or the desks ------


@dataclass(frozen=True)
class LiveEvent(Event):
    """An event the WebSockets receive: ``payload()`` on each of ``channels()``.

    ``event_id``: set once the event's transaction has written it to the outbox (kit.outbox);
    published as the payload's ``event_id``, from which a WebSocket resumes after a reconnect."""

    event_id: str | None = field(default=None, kw_only=True, compare=False)

    def channels(self) -> tuple[str, ...]:
        raise NotImplementedError

    def payload(self) -> Payload:
        raise NotImplementedError


@dataclass(frozen=True)
class Published(LiveEvent):
    """A payload built by hand for one bus channel. Not for application code (add a typed
    event): for tests that need a marker on a channel."""

    channel: str
    data: Payload

    def channels(self) -> tuple[str, ...]:
        return (self.channel,)

    def payload(self) -> Payload:
        return self.data


@dataclass(frozen=True)
class _ToStaff(LiveEvent):
    """To the desks of one workspace."""

    workspace_id: str

    def channels(self) -> tuple[str, ...]:
        return (staff_channel(self.workspace_id),)


@dataclass(frozen=True)
class _ToConversation(LiveEvent):
    """To the customer's conversation (``to_customer``) and the desks (``to_staff``)."""

    workspace_id: str
    conversation_id: str
    to_customer: bool = True
    to_staff: bool = True

    def channels(self) -> tuple[str, ...]:
        return (customer_channel(self.conversation_id),) * self.to_customer + (
            staff_channel(self.workspace_id),
        ) * self.to_staff


@dataclass(frozen=True, kw_only=True)
class MessageCreated(_ToConversation):
    """``message.created``; an internal note goes to the desks only (``to_customer=False``)."""

    type: ClassVar[str] = "message.created"
    message: Payload

    def payload(self) -> Payload:
        return {"type": self.type, "conversation_id": self.conversation_id, "message": self.message}


@dataclass(frozen=True, kw_only=True)
class MessageUpdated(_ToConversation):
    """``message.updated`` (a delivery outcome), to the desks."""

    type: ClassVar[str] = "message.updated"
    message: Payload
    to_customer: bool = False

    def payload(self) -> Payload:
        return {"type": self.type, "conversation_id": self.conversation_id, "message": self.message}


@dataclass(frozen=True, kw_only=True)
class ConversationUpdated(_ToConversation):
    """``conversation.updated`` with the conversation's state."""

    type: ClassVar[str] = "conversation.updated"
    conversation: Payload

    def payload(self) -> Payload:
        return {"type": self.type, "conversation": self.conversation}


@dataclass(frozen=True, kw_only=True)
class ConversationQueued(_ToStaff):
    type: ClassVar[str] = "conversation.queued"
    conversation: Payload

    def payload(self) -> Payload:
        return {"type": self.type, "conversation": self.conversation}


@dataclass(frozen=True, kw_only=True)
class ConversationResolved(_ToStaff):
    type: ClassVar[str] = "conversation.resolved"
    conversation: Payload

    def payload(self) -> Payload:
        return {"type": self.type, "conversation": self.conversation}


@dataclass(frozen=True, kw_only=True)
class ConversationAssigned(_ToStaff):
    """``conversation.assigned``: who got it (``agent``) and how (``via``)."""

    type: ClassVar[str] = "conversation.assigned"
    conversation: Payload
    agent: Payload | None
    via: str

    def payload(self) -> Payload:
        return {
            "type": self.type,
            "conversation": self.conversation,
            "agent": self.agent,
            "via": self.via,
        }


@dataclass(frozen=True, kw_only=True)
class ConversationTransferred(_ToStaff):
    """``conversation.transferred`` to an agent (``to_agent``) or back to the queue (None)."""

    type: ClassVar[str] = "conversation.transferred"
    conversation: Payload
    to_agent: Payload | None

    def payload(self) -> Payload:
        return {"type": self.type, "conversation": self.conversation, "to_agent": self.to_agent}


@dataclass(frozen=True, kw_only=True)
class QueueUpdated(_ToStaff):
    """``queue.updated``: the desks reload the queue."""

    type: ClassVar[str] = "queue.updated"

    def payload(self) -> Payload:
        return {"type": self.type}


@dataclass(frozen=True, kw_only=True)
class AssistUpdated(_ToStaff):
    """``assist.updated``: fresh agent assist for a conversation."""

    type: ClassVar[str] = "assist.updated"
    conversation_id: str
    assist: Payload

    def payload(self) -> Payload:
        return {"type": self.type, "conversation_id": self.conversation_id, "assist": self.assist}


@dataclass(frozen=True, kw_only=True)
class ApprovalRequested(_ToStaff):
    type: ClassVar[str] = "approval.requested"
    approval: Payload

    def payload(self) -> Payload:
        return {"type": self.type, "approval": self.approval}


@dataclass(frozen=True, kw_only=True)
class ApprovalDecided(_ToStaff):
    type: ClassVar[str] = "approval.decided"
    approval: Payload

    def payload(self) -> Payload:
        return {"type": self.type, "approval": self.approval}


@dataclass(frozen=True, kw_only=True)
class SlaAlert(_ToStaff):
    """``sla.warning`` or ``sla.breached`` (``kind``): the conversation's SLA state and the
    event log's ``data`` (tier, channel, team, vip, …)."""

    kind: str
    conversation_id: str
    sla: Payload
    data: Payload

    def payload(self) -> Payload:
        return {
            "type": self.kind,
            "conversation_id": self.conversation_id,
            "sla": self.sla,
            **self.data,
        }


@dataclass(frozen=True, kw_only=True)
class IntentCorrected(_ToStaff):
    type: ClassVar[str] = "intent.corrected"
    conversation_id: str
    intent: str | None
    ai_intent: str | None
    source: str

    def payload(self) -> Payload:
        return {
            "type": self.type,
            "conversation_id": self.conversation_id,
            "intent": self.intent,
            "ai_intent": self.ai_intent,
            "source": self.source,
        }


@dataclass(frozen=True, kw_only=True)
class EmailDraftChanged(_ToStaff):
    """``email.draft``: the AI's draft reply to an email, as read by staff."""

    type: ClassVar[str] = "email.draft"
    conversation_id: str
    draft: Payload

    def payload(self) -> Payload:
        return {"type": self.type, "conversation_id": self.conversation_id, "draft": self.draft}


@dataclass(frozen=True, kw_only=True)
class QuestionAsked(_ToStaff):
    """``collaboration.asked``: an agent asked a colleague (``to_agent_id``) a question."""

    type: ClassVar[str] = "collaboration.asked"
    to_agent_id: str
    question: Payload

    def payload(self) -> Payload:
        return {"type": self.type, "to_agent_id": self.to_agent_id, "question": self.question}


@dataclass(frozen=True, kw_only=True)
class AutomationNotify(_ToStaff):
    """``automation.notify``: a rule's message for the supervisors."""

    type: ClassVar[str] = "automation.notify"
    rule: Payload
    conversation_id: str
    text: str

    def payload(self) -> Payload:
        return {
            "type": self.type,
            "audience": "supervisors",
            "rule": self.rule,
            "conversation_id": self.conversation_id,
            "text": self.text,
        }


@dataclass(frozen=True, kw_only=True)
class AutomationFired(_ToStaff):
    type: ClassVar[str] = "automation.fired"
    conversation_id: str
    rule: Payload

    def payload(self) -> Payload:
        return {"type": self.type, "conversation_id": self.conversation_id, "rule": self.rule}


@dataclass(frozen=True, kw_only=True)
class StaffSignedOut(_ToStaff):
    """``staff.signed_out``: the agent was deactivated; their desks close."""

    type: ClassVar[str] = "staff.signed_out"
    agent_id: str

    def payload(self) -> Payload:
        return {"type": self.type, "agent_id": self.agent_id}


# ---- channel delivery: the conversation's channel (SMS, email, a call) after the commit ------


@dataclass(frozen=True)
class MessageToSend(Event):
    """Send a stored (committed) message out through its conversation's channel. The listener
    (``hybridcx.channels.outbound``) returns the message as read after the attempt, with the
    outcome on ``channel_meta["delivery"]``. ``conversation`` is the ``Conversation`` row."""

    conversation: Any
    message: Payload


@dataclass(frozen=True)
class StatusLineToSend(Event):
    """Send the conversation's latest status line ("… has joined the conversation.") on the
    channels that show them, and connect the agent who joined where the channel needs it."""

    conversation_id: str


@dataclass(frozen=True)
class SurveyCallToPlace(Event):
    """Call the customer of a resolved phone conversation back for the survey (the voice
    channel's listener, ``hybridcx.channels.twilio.survey``); ``message_id`` is the stored
    survey message the outcome is recorded on, ``base`` the public URL the call fetches its
    questions from. ``conversation`` is the ``Conversation`` row."""

    conversation: Any
    message_id: str
    base: str


@dataclass(frozen=True)
class DeliveryOutcome(Event):
    """A delivery made outside the channel adapters (a survey call): record it on the message
    (``channel_meta["delivery"]``) and tell the desks. The listener returns the message read."""

    conversation: Any
    message_id: str
    delivery: Payload


# ---- the listeners ---------------------------------------------------------------------------

E = TypeVar("E", bound=Event)
Listener = Callable[[Any, Any], Awaitable[Any]]


class Listeners:
    """Which listeners react to which event type (a listener of a base class, e.g.
    ``LiveEvent``, hears every subclass). Registered at start-up, read by ``dispatch``."""

    def __init__(self) -> None:
        self._by_type: dict[type[Event], list[Listener]] = {}

    def on(self, event_type: type[E], listener: Callable[[Any, E], Awaitable[Any]]) -> None:
        self._by_type.setdefault(event_type, []).append(listener)

    def listeners_for(self, event_type: type[Event]) -> list[Listener]:
        return [fn for cls in event_type.__mro__ for fn in self._by_type.get(cls, [])]

    async def dispatch(self, context: Any, event: Event) -> list[Any]:
        """Call every listener of ``event`` with ``(context, event)`` (``context`` is the
        runtime); the results of those that succeeded. A failing listener is logged, never
        raised: the event's data is committed and clients catch up from the API."""
        results: list[Any] = []
        for listener in self.listeners_for(type(event)):
            try:
                results.append(await listener(context, event))
            except Exception as exc:
                log.error(
                    "event.listener_failed",
                    event_type=type(event).__name__,
                    listener=getattr(listener, "__qualname__", repr(listener)),
                    error=str(exc),
                )
        return results

    async def ask(self, context: Any, event: Event, default: Any) -> Any:
        """Dispatch ``event`` and return the first listener's answer that is not None (the
        message as sent, for ``MessageToSend``), else ``default`` (no listener answered, or
        it failed: logged, as for any event)."""
        results = await self.dispatch(context, event)
        return next((r for r in results if r is not None), default)
