"""After hours "leave a message": the follow-up actually goes out.

A customer who chose "leave a message" while the team was away (``conversation.after_hours``
with ``choice == "message"`` and ``contact`` email or sms) has usually closed the chat by the
time someone answers. So while the conversation carries that choice, every public reply a
person sends on it (typed, or a macro's reply) from the next shift on is also delivered by the
chosen contact method, through the email or SMS adapter (the same as replies on those
channels), and the outcome is recorded on the message (``channel_meta.delivery`` with ``via``;
a failure is a ``message.delivery_failed`` event the agent sees). The reply stays in the chat
as well. AI and system messages are not sent this way: the follow-up is a person's.

Called once, from ``channels.outbound.deliver``, for conversations whose channel has no adapter
(web chat, the portal)."""

from __future__ import annotations

from typing import Any

import structlog

from hybridcx.channels.base import DeliveryError, adapter_for
from hybridcx.channels.deps import ChannelDeps
from hybridcx.conversations import repository as repo
from hybridcx.kit.ids import utcnow
from hybridcx.kit.time import iso
from hybridcx.models import Conversation

log = structlog.get_logger(__name__)

FOOTER = {
    "email": "You left us a message in our chat; reply to this email to continue.",
    "sms": "Re: the message you left in our chat.",
}


def wants_follow_up(conv: Conversation, message: dict[str, Any]) -> str | None:
    """The contact method (``email`` or ``sms``) this message must also go out by, or None."""
    state = conv.after_hours or {}
    if state.get("choice") != "message" or state.get("contact") not in FOOTER:
        return None
    if message.get("author") != "agent" or message.get("internal"):
        return None
    return str(state["contact"])


async def follow_up(rt: ChannelDeps, conv: Conversation, message: dict[str, Any]) -> dict[str, Any]:
    """Send ``message`` by the customer's chosen contact method when the after-hours choice
    asks for it, and record the outcome on the message; otherwise return it unchanged."""
    contact = wants_follow_up(conv, message)
    if contact is None:
        return message
    from hybridcx.channels.outbound import record_delivery

    outgoing = {**message, "text": f"{message['text']}\n\n{FOOTER[contact]}", "buttons": []}
    adapter = adapter_for(rt, contact)
    try:
        if adapter is None:
            raise DeliveryError(f"The {contact} channel is not set up on this server.")
        target = conv
        if contact == "sms":
            async with rt.sessions() as session:
                customer = await repo.get_customer(session, conv.customer_id)
            # The SMS adapter texts the conversation's customer number: a transient view of
            # this conversation with the customer's phone (nothing is written to it).
            target = Conversation(
                id=conv.id,
                workspace_id=conv.workspace_id,
                customer_id=conv.customer_id,
                channel="sms",
                thread_key=conv.thread_key,
                channel_meta={"customer_number": customer.phone},
            )
        meta = await adapter.send(rt, target, outgoing)
        delivery: dict[str, Any] = {"status": "sent", "at": iso(utcnow()), "via": contact, **meta}
        log.info("after_hours.followed_up", conversation_id=conv.id, via=contact)
    except Exception as exc:  # the provider's failure is data for the agent, not a 500
        delivery = {
            "status": "failed",
            "at": iso(utcnow()),
            "via": contact,
            "error": str(exc)[:500],
        }
        log.warning("after_hours.follow_up_failed", conversation_id=conv.id, error=str(exc))
    return await record_delivery(rt, conv, message["id"], delivery)
