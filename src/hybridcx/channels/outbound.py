"""Sending a stored message out through its conversation's channel, after commit.

The domains do not import this edge: they raise ``MessageToSend``, ``StatusLineToSend`` and
``DeliveryOutcome`` (kit.events), whose listeners are registered here (``register``, called by
the composition root at start-up)."""

from __future__ import annotations

from typing import Any

import structlog
from sqlalchemy import select

from hybridcx.channels.base import AgentConnector, adapter_for
from hybridcx.channels.deps import ChannelDeps
from hybridcx.conversations import repository as repo
from hybridcx.kit.db import transaction
from hybridcx.kit.events import (
    DeliveryOutcome,
    Listeners,
    MessageToSend,
    MessageUpdated,
    StatusLineToSend,
    SurveyCallToPlace,
)
from hybridcx.kit.ids import utcnow
from hybridcx.kit.outbox import Outbox
from hybridcx.kit.time import iso
from hybridcx.models import Conversation, Message

log = structlog.get_logger(__name__)


async def deliver(rt: ChannelDeps, conv: Conversation, message: dict[str, Any]) -> dict[str, Any]:
    """Send ``message`` (already committed) over ``conv``'s channel and record the outcome on
    the message's ``channel_meta["delivery"]``: ``sent`` with the provider's ids, or ``failed``
    with the error (plus a ``message.delivery_failed`` event). The message is never lost: a
    failed one stays in the conversation for the agent to see and resend. Web chat (no adapter)
    returns the message unchanged."""
    adapter = adapter_for(rt, conv.channel)
    if adapter is None:
        from hybridcx.channels.followup import follow_up  # after-hours follow-up

        return await follow_up(rt, conv, message)
    try:
        meta = await adapter.send(rt, conv, message)
        delivery: dict[str, Any] = {"status": "sent", "at": iso(utcnow()), **meta}
        log.info("channel.sent", channel=conv.channel, conversation_id=conv.id, **meta)
    except Exception as exc:  # the provider's failure is data, not a 500 for the agent
        delivery = {"status": "failed", "at": iso(utcnow()), "error": str(exc)[:500]}
        log.warning(
            "channel.send_failed", channel=conv.channel, conversation_id=conv.id, error=str(exc)
        )
    return await record_delivery(rt, conv, message["id"], delivery)


async def record_delivery(
    rt: ChannelDeps, conv: Conversation, message_id: str, delivery: dict[str, Any]
) -> dict[str, Any]:
    """Store a delivery outcome on the message and tell the desks (``message.updated``)."""
    from hybridcx.conversations.schemas import message_read

    outbox = Outbox()
    async with transaction(rt.sessions) as session:
        msg = (await session.execute(select(Message).where(Message.id == message_id))).scalar_one()
        msg.channel_meta = {**(msg.channel_meta or {}), "delivery": delivery}
        if delivery["status"] == "failed":
            repo.add_event(
                session,
                conv,
                "message.delivery_failed",
                actor="system",
                data={"message_id": message_id, "channel": conv.channel, **delivery},
            )
        names: dict[str, str] = {}
        if msg.agent_id:
            agent = await repo.get_agent(session, msg.agent_id, workspace_id=conv.workspace_id)
            if agent is not None:
                names[agent.id] = agent.name
        read = message_read(msg, names)
        outbox.emit(MessageUpdated(conv.workspace_id, conv.id, message=read))
    await outbox.flush(rt)
    return read


async def deliver_status(rt: ChannelDeps, conversation_id: str) -> None:
    """Send the conversation's latest status line ("… has joined the conversation.") on
    channels that want them (``Capabilities.status_messages``), and connect the person who
    joined where the channel needs it (a call rings them). Best effort, after commit."""
    from hybridcx.conversations.schemas import message_read

    message: dict[str, Any] | None = None
    async with rt.sessions() as session:
        conv = await repo.get_conversation(session, conversation_id)
        if conv is None:
            return
        adapter = adapter_for(rt, conv.channel)
        if adapter is not None and adapter.capabilities.status_messages:
            stmt = (
                select(Message)
                .where(Message.conversation_id == conv.id, Message.internal.is_(False))
                .order_by(Message.seq.desc())
                .limit(1)
            )
            last = (await session.execute(stmt)).scalar_one_or_none()
            if (
                last is not None
                and last.author == "system"
                and not ((last.channel_meta or {}).get("delivery"))
            ):
                message = message_read(last)
    if message is not None:
        await deliver(rt, conv, message)
    if isinstance(adapter, AgentConnector) and conv.status == "assigned":
        await adapter.agent_assigned(rt, conv)


def register(events: Listeners) -> None:
    """The channel edge's listeners (runtime.register_listeners, at start-up)."""
    events.on(MessageToSend, _on_message_to_send)
    events.on(StatusLineToSend, _on_status_line)
    events.on(DeliveryOutcome, _on_delivery_outcome)
    events.on(SurveyCallToPlace, _on_survey_call)


async def _on_message_to_send(rt: ChannelDeps, event: MessageToSend) -> dict[str, Any]:
    return await deliver(rt, event.conversation, event.message)


async def _on_status_line(rt: ChannelDeps, event: StatusLineToSend) -> None:
    await deliver_status(rt, event.conversation_id)


async def _on_delivery_outcome(rt: ChannelDeps, event: DeliveryOutcome) -> dict[str, Any]:
    return await record_delivery(rt, event.conversation, event.message_id, event.delivery)


async def _on_survey_call(rt: ChannelDeps, event: SurveyCallToPlace) -> None:
    from hybridcx.channels.twilio.survey import call_for_survey

    await call_for_survey(rt, event.conversation, event.message_id, event.base)
