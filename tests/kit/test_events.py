"""Typed events (kit.events): their wire payloads and bus channels, the listener registry, the
outbox's dispatch after commit."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from structlog.testing import capture_logs

from hybridcx.kit.bus import MemoryBus, customer_channel, staff_channel
from hybridcx.kit.events import (
    ApprovalDecided,
    ApprovalRequested,
    AssistUpdated,
    AutomationFired,
    AutomationNotify,
    ConversationAssigned,
    ConversationQueued,
    ConversationResolved,
    ConversationTransferred,
    ConversationUpdated,
    EmailDraftChanged,
    Event,
    IntentCorrected,
    Listeners,
    LiveEvent,
    MessageCreated,
    MessageToSend,
    MessageUpdated,
    Published,
    QuestionAsked,
    QueueUpdated,
    SlaAlert,
    StaffSignedOut,
)
from hybridcx.kit.outbox import Outbox
from hybridcx.runtime import publish_live

WS, CONV = "ws1", "c1"
MSG = {"id": "m1", "text": "hi"}
STATE = {"id": CONV, "status": "queued"}
CUSTOMER, STAFF = customer_channel(CONV), staff_channel(WS)


def test_live_events_keep_the_wire_format() -> None:
    cases: list[tuple[LiveEvent, tuple[str, ...], dict[str, Any]]] = [
        (
            MessageCreated(WS, CONV, message=MSG),
            (CUSTOMER, STAFF),
            {"type": "message.created", "conversation_id": CONV, "message": MSG},
        ),
        (
            MessageCreated(WS, CONV, to_customer=False, message=MSG),
            (STAFF,),
            {"type": "message.created", "conversation_id": CONV, "message": MSG},
        ),
        (
            MessageUpdated(WS, CONV, message=MSG),
            (STAFF,),
            {"type": "message.updated", "conversation_id": CONV, "message": MSG},
        ),
        (
            ConversationUpdated(WS, CONV, to_staff=False, conversation=STATE),
            (CUSTOMER,),
            {"type": "conversation.updated", "conversation": STATE},
        ),
        (
            ConversationQueued(WS, conversation=STATE),
            (STAFF,),
            {"type": "conversation.queued", "conversation": STATE},
        ),
        (
            ConversationResolved(WS, conversation=STATE),
            (STAFF,),
            {"type": "conversation.resolved", "conversation": STATE},
        ),
        (
            ConversationAssigned(WS, conversation=STATE, agent={"id": "a1"}, via="accept"),
            (STAFF,),
            {
                "type": "conversation.assigned",
                "conversation": STATE,
                "agent": {"id": "a1"},
                "via": "accept",
            },
        ),
        (
            ConversationTransferred(WS, conversation=STATE, to_agent=None),
            (STAFF,),
            {"type": "conversation.transferred", "conversation": STATE, "to_agent": None},
        ),
        (QueueUpdated(WS), (STAFF,), {"type": "queue.updated"}),
        (
            AssistUpdated(WS, conversation_id=CONV, assist={"x": 1}),
            (STAFF,),
            {"type": "assist.updated", "conversation_id": CONV, "assist": {"x": 1}},
        ),
        (
            ApprovalRequested(WS, approval={"id": "p"}),
            (STAFF,),
            {"type": "approval.requested", "approval": {"id": "p"}},
        ),
        (
            ApprovalDecided(WS, approval={"id": "p"}),
            (STAFF,),
            {"type": "approval.decided", "approval": {"id": "p"}},
        ),
        (
            SlaAlert(
                WS, kind="sla.breached", conversation_id=CONV, sla={"state": "x"}, data={"vip": 1}
            ),
            (STAFF,),
            {"type": "sla.breached", "conversation_id": CONV, "sla": {"state": "x"}, "vip": 1},
        ),
        (
            IntentCorrected(WS, conversation_id=CONV, intent="a", ai_intent="b", source="agent"),
            (STAFF,),
            {
                "type": "intent.corrected",
                "conversation_id": CONV,
                "intent": "a",
                "ai_intent": "b",
                "source": "agent",
            },
        ),
        (
            EmailDraftChanged(WS, conversation_id=CONV, draft={"id": "d"}),
            (STAFF,),
            {"type": "email.draft", "conversation_id": CONV, "draft": {"id": "d"}},
        ),
        (
            QuestionAsked(WS, to_agent_id="a2", question={"text": "?"}),
            (STAFF,),
            {"type": "collaboration.asked", "to_agent_id": "a2", "question": {"text": "?"}},
        ),
        (
            AutomationNotify(WS, rule={"id": "r"}, conversation_id=CONV, text="look"),
            (STAFF,),
            {
                "type": "automation.notify",
                "audience": "supervisors",
                "rule": {"id": "r"},
                "conversation_id": CONV,
                "text": "look",
            },
        ),
        (
            AutomationFired(WS, conversation_id=CONV, rule={"id": "r"}),
            (STAFF,),
            {"type": "automation.fired", "conversation_id": CONV, "rule": {"id": "r"}},
        ),
        (
            StaffSignedOut(WS, agent_id="a1"),
            (STAFF,),
            {"type": "staff.signed_out", "agent_id": "a1"},
        ),
    ]
    for event, channels, payload in cases:
        assert event.channels() == channels, event
        assert event.payload() == payload, event
        assert list(event.payload()) == list(payload), event  # same key order on the wire


@dataclass
class FakeRuntime:
    events: Listeners = field(default_factory=Listeners)
    bus: Any = None
    seen: list[str] = field(default_factory=list)


def test_listeners_hear_their_type_and_subclasses_and_a_failure_is_only_logged() -> None:
    rt = FakeRuntime()

    async def any_event(ctx: FakeRuntime, event: Event) -> str:
        ctx.seen.append("any:" + type(event).__name__)
        return "any"

    async def broken(ctx: FakeRuntime, event: LiveEvent) -> None:
        raise RuntimeError("listener down")

    async def send(ctx: FakeRuntime, event: MessageToSend) -> dict[str, Any]:
        ctx.seen.append("send")
        return {**event.message, "sent": True}

    rt.events.on(Event, any_event)
    rt.events.on(LiveEvent, broken)
    rt.events.on(MessageToSend, send)

    async def run() -> tuple[list[Any], list[Any]]:
        with capture_logs() as logs:
            live = await rt.events.dispatch(rt, QueueUpdated(WS))
        assert [e["event"] for e in logs] == ["event.listener_failed"]
        assert logs[0]["error"] == "listener down"
        sent = await rt.events.dispatch(rt, MessageToSend(object(), MSG))
        return live, sent

    live, sent = asyncio.run(run())
    assert live == ["any"]  # the broken listener's failure is not the caller's
    assert sent == [{**MSG, "sent": True}, "any"]
    assert rt.seen == ["any:QueueUpdated", "send", "any:MessageToSend"]


def test_outbox_dispatches_after_flush_in_order_and_publishes_on_the_bus() -> None:
    bus = MemoryBus()
    rt = FakeRuntime(bus=bus)
    rt.events.on(LiveEvent, publish_live)  # as runtime.register_listeners does
    staff = bus.hub.subscribe([STAFF])
    customer = bus.hub.subscribe([CUSTOMER])

    async def run() -> None:
        outbox = Outbox()
        outbox.emit(MessageCreated(WS, CONV, message=MSG))
        outbox.emit(Published(STAFF, {"type": "matrix.sentinel"}))
        outbox.emit(QueueUpdated(WS))
        assert staff.queue.empty()  # nothing before the flush (the commit)
        await outbox.flush(rt)  # type: ignore[arg-type]
        assert outbox.items == []

    asyncio.run(run())
    got_staff = [staff.queue.get_nowait()["type"] for _ in range(staff.queue.qsize())]
    got_customer = [customer.queue.get_nowait()["type"] for _ in range(customer.queue.qsize())]
    assert got_staff == ["message.created", "matrix.sentinel", "queue.updated"]
    assert got_customer == ["message.created"]


def test_a_bus_outage_is_logged_per_channel_and_never_raised() -> None:
    class DownBus:
        async def publish(self, channel: str, payload: dict[str, Any]) -> None:
            raise ConnectionError("redis away")

    rt = FakeRuntime(bus=DownBus())
    rt.events.on(LiveEvent, publish_live)

    async def run() -> list[dict[str, Any]]:
        with capture_logs() as logs:
            await rt.events.dispatch(rt, MessageCreated(WS, CONV, message=MSG))
        return logs

    logs = asyncio.run(run())
    assert [(e["event"], e["channel"]) for e in logs] == [
        ("realtime.publish_failed", CUSTOMER),
        ("realtime.publish_failed", STAFF),
    ]
