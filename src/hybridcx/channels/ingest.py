"""One way in for every channel: a message from email, SMS or a call becomes a customer turn
of the same pipeline, queue and customer record as web chat.

``ingest_inbound`` finds the channel's inbox, the customer (by email or phone: one record
across channels), the customer's open conversation on that thread (or starts one, greeting
and all), stores the message once per provider message id, and runs the AI turn.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError

from hybridcx.channels import repository as chrepo
from hybridcx.channels.base import adapter_for, pick_option
from hybridcx.channels.deps import ChannelDeps
from hybridcx.conversations.schemas import message_read
from hybridcx.conversations.turns import CustomerTurns
from hybridcx.customers.repository import find_or_create_contact
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import InvalidInput, NotFound
from hybridcx.kit.outbox import Outbox
from hybridcx.queue.service import dispatch
from hybridcx.workspaces.repository import find_channel_inbox

log = structlog.get_logger(__name__)

EXTERNAL_ID_MAX = 255


@dataclass
class InboundResult:
    """What happened to one inbound message."""

    conversation_id: str
    customer_id: str
    duplicate: bool
    status: str
    tier: int
    created: bool = False  # a new conversation was started for it
    message_id: str | None = None  # the stored customer message
    # The AI's and system's messages of this turn (the opening greeting of a new conversation
    # first), as message dicts with their ``buttons``: what the channel should say back.
    ai_messages: list[dict[str, Any]] = field(default_factory=list)


def external_key(channel: str, external_id: str) -> str:
    """The stored, channel-prefixed provider id (hashed when a provider's id is very long)."""
    key = f"{channel}:{external_id.strip()}"
    if len(key) > EXTERNAL_ID_MAX:
        key = f"{channel}:sha256:{hashlib.sha256(external_id.encode()).hexdigest()}"
    return key


def clean_inbound_text(text: str, limit: int) -> tuple[str, bool]:
    """What no database stores faithfully is dropped; an over-long message is cut (a channel
    cannot answer 413), and the caller records that it was."""
    text = text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8").strip()
    if len(text) > limit:
        return text[: limit - 1] + "…", True
    return text, False


async def ingest_inbound(
    rt: ChannelDeps,
    *,
    channel: str,
    text: str,
    inbox_key: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    name: str | None = None,
    external_id: str | None = None,
    thread_key: str | None = None,
    meta: dict[str, Any] | None = None,
    conversation_meta: dict[str, Any] | None = None,
    answer: bool = True,
) -> InboundResult:
    """Store one inbound customer message and (``answer=True``) run the AI turn for it.

    - ``inbox_key``: a specific inbox of this channel; else the default workspace's.
    - ``email`` / ``phone``: who wrote (at least one). Found by email, else by phone (E.164).
    - ``external_id``: the provider's message id (MessageSid, Message-ID, …). A second delivery
      of the same id returns ``duplicate=True`` and stores nothing (a unique constraint, so
      concurrent duplicates are processed once).
    - ``thread_key``: the channel's thread (the SMS sender, a call sid, an email thread id): the
      message continues the customer's open conversation of that thread, or starts one.
    - ``meta`` is kept on the message's ``channel_meta``, ``conversation_meta`` merged into the
      conversation's.
    - ``answer=False`` stores the message only (a live call's transcript while an agent talks).
    """
    if not email and not phone:
        raise InvalidInput("An inbound message needs the sender's email or phone number.")
    body, truncated = clean_inbound_text(text, rt.max_message_chars)
    if not body:
        raise InvalidInput("The message is empty.")
    key = external_key(channel, external_id) if external_id else None
    msg_meta = dict(meta or {})
    if truncated:
        msg_meta["truncated"] = True
    svc = CustomerTurns(rt)
    outbox = Outbox()
    try:
        async with transaction(rt.sessions) as session:
            inbox = await find_channel_inbox(session, channel, inbox_key)
            if inbox is None:
                raise NotFound(
                    f"No {channel} inbox {inbox_key!r}."
                    if inbox_key
                    else f"No default workspace has a {channel} inbox."
                )
            if key is not None:
                seen = await chrepo.message_by_external_id(session, inbox.workspace_id, key)
                if seen is not None:
                    return await _duplicate(rt, seen.conversation_id, seen.id)
            customer, conv, created, opening = await _thread(
                session,
                svc,
                outbox,
                inbox,
                channel=channel,
                email=email,
                phone=phone,
                name=name,
                thread_key=thread_key,
                conversation_meta=conversation_meta,
                bad_sender=f"Sender {phone!r} is not a phone number",
            )
            if not created and conversation_meta:
                conv.channel_meta = {**(conv.channel_meta or {}), **conversation_meta}
            adapter = adapter_for(rt, channel)
            if adapter is not None and not adapter.capabilities.buttons:
                # "2" answering numbered options (see channels.base.degrade) picks option 2.
                buttons = await chrepo.last_ai_buttons(session, conv.id)
                picked = pick_option(body, buttons)
                if picked != body:
                    msg_meta["typed"] = body
                    body = picked
            msg = svc.record_customer_message(
                session, outbox, conv, body, external_id=key, channel_meta=msg_meta
            )
            await session.flush()  # a concurrent duplicate fails here (uq_messages_external_id)
            conv_id, customer_id, msg_id, stored_text = conv.id, customer.id, msg.id, msg.text
            status, tier = conv.status, conv.tier
    except IntegrityError:
        if key is None:
            raise
        async with rt.sessions() as session:
            inbox = await find_channel_inbox(session, channel, inbox_key)
            seen = (
                await chrepo.message_by_external_id(session, inbox.workspace_id, key)
                if inbox
                else None
            )
        if seen is None:
            raise
        return await _duplicate(rt, seen.conversation_id, seen.id)
    await outbox.flush(rt)
    if created and status == "queued":
        await dispatch(rt, conv.workspace_id)
    log.info(
        "channel.inbound",
        channel=channel,
        conversation_id=conv_id,
        created=created,
        external_id=key,
    )
    result = InboundResult(
        conversation_id=conv_id,
        customer_id=customer_id,
        duplicate=False,
        status=status,
        tier=tier,
        created=created,
        message_id=msg_id,
        ai_messages=opening,
    )
    if answer:
        await svc.prepare_turn(stored_text)  # embedded off the event loop, batched
        response = await svc.answer_message(conv_id, msg_id)
        result.ai_messages += [m for m in response["messages"] if m["author"] != "customer"]
        result.status = response["conversation"]["status"]
        result.tier = response["conversation"]["tier"]
    return result


async def _thread(
    session: Any,
    svc: Any,
    outbox: Any,
    inbox: Any,
    *,
    channel: str,
    email: str | None,
    phone: str | None,
    name: str | None,
    thread_key: str | None,
    conversation_meta: dict[str, Any] | None,
    bad_sender: str,
) -> tuple[Any, Any, bool, list[dict[str, Any]]]:
    """The sender's customer record and their open conversation on this thread, started (with
    its opening turn) when there is none: (customer, conversation, created, opening messages)."""
    try:
        customer, _ = await find_or_create_contact(
            session, inbox.workspace_id, email=email, phone=phone, name=name or ""
        )
    except ValueError as exc:  # a sender number that is no phone number
        raise InvalidInput(f"{bad_sender} ({exc})") from exc
    conv = await chrepo.find_open_thread(
        session,
        inbox.workspace_id,
        customer_id=customer.id,
        channel=channel,
        thread_key=thread_key,
    )
    if conv is not None:
        return customer, conv, False, []
    conv, greeting = await svc.open_conversation(
        session,
        outbox,
        inbox=inbox,
        customer=customer,
        channel=channel,
        thread_key=thread_key,
        channel_meta=conversation_meta,
    )
    return customer, conv, True, [message_read(m) for m in greeting]


async def _duplicate(rt: ChannelDeps, conversation_id: str, message_id: str) -> InboundResult:
    from hybridcx.conversations import repository as repo

    async with rt.sessions() as session:
        conv = await repo.get_conversation(session, conversation_id)
        assert conv is not None
        log.info("channel.duplicate", conversation_id=conv.id, message_id=message_id)
        return InboundResult(
            conversation_id=conv.id,
            customer_id=conv.customer_id,
            duplicate=True,
            status=conv.status,
            tier=conv.tier,
            message_id=message_id,
        )


async def open_inbound_thread(
    rt: ChannelDeps,
    *,
    channel: str,
    thread_key: str,
    inbox_key: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    name: str | None = None,
    conversation_meta: dict[str, Any] | None = None,
) -> InboundResult:
    """Start (or find) the conversation of a thread before anyone said anything: an incoming
    call. The opening turn runs (greeting, VIP or human-only routing) as for a new chat."""
    svc = CustomerTurns(rt)
    outbox = Outbox()
    async with transaction(rt.sessions) as session:
        inbox = await find_channel_inbox(session, channel, inbox_key)
        if inbox is None:
            raise NotFound(f"No {channel} inbox is set up.")
        customer, conv, created, opening = await _thread(
            session,
            svc,
            outbox,
            inbox,
            channel=channel,
            email=email,
            phone=phone,
            name=name,
            thread_key=thread_key,
            conversation_meta=conversation_meta,
            bad_sender="Unknown caller",
        )
        result = InboundResult(
            conversation_id=conv.id,
            customer_id=customer.id,
            duplicate=not created,
            status=conv.status,
            tier=conv.tier,
            created=created,
            ai_messages=opening,
        )
        workspace_id = conv.workspace_id
    await outbox.flush(rt)
    if created and result.status == "queued":
        await dispatch(rt, workspace_id)
    return result
