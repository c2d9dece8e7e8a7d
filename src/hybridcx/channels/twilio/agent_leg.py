"""The agent's leg of a warm transfer: when someone takes a queued call, hybridcx rings them
(Twilio's Calls API), whispers the handoff summary to them alone, then bridges them to the
caller waiting in the call's own Twilio queue (``<Dial><Queue>``). A leg nobody answers puts the
conversation back in the queue, for someone else.

Each escalated call waits in a queue of its own (``<queue name>-<CallSid>``): ``<Dial><Queue>``
takes the caller at the front of a queue, and the desk's priority order is not Twilio's FIFO,
so a shared queue would bridge the agent to whoever waited longest, not the caller they chose.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import Response
from twilio.twiml.voice_response import Dial, VoiceResponse

from hybridcx.audit import record as audit
from hybridcx.channels.base import DeliveryError
from hybridcx.channels.deps import ChannelDeps
from hybridcx.channels.twilio.client import call_twilio, twilio_client
from hybridcx.channels.twilio.webhooks import signed_form, twiml
from hybridcx.conversations import repository as repo
from hybridcx.conversations.schemas import conversation_state
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import InvalidInput
from hybridcx.kit.events import ConversationQueued, QueueUpdated
from hybridcx.kit.ids import utcnow
from hybridcx.kit.outbox import Outbox
from hybridcx.kit.time import iso
from hybridcx.models import Conversation
from hybridcx.queue.service import dispatch

log = structlog.get_logger(__name__)

router = APIRouter(tags=["channels"])

BASE = "/channels/voice/twilio"
RING_SECONDS = 25
UNANSWERED = frozenset({"no-answer", "busy", "failed", "canceled"})
CALLER_GONE = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
WHISPER_LIMIT = 600
NOT_WAITING = "This caller is no longer waiting for you. Goodbye."


def queue_name(base: str, call_sid: str) -> str:
    """The call's own Twilio queue (friendly names are at most 64 characters)."""
    return f"{base[: 63 - len(call_sid)]}-{call_sid}"


def whisper(conv: Conversation, customer_name: str | None) -> str:
    """What the agent hears before the bridge: who is calling and the handoff summary."""
    handoff = conv.handoff or {}
    summary = " ".join(str(handoff.get("summary") or "").split())
    if len(summary) > WHISPER_LIMIT:
        summary = summary[: WHISPER_LIMIT - 1].rsplit(" ", 1)[0] + "…"
    who = customer_name.split()[0] if customer_name and customer_name.strip() else "a caller"
    return f"Call from {who}. {summary} Connecting you now.".replace("  ", " ")


def _callback(base: str, path: str, **query: str | None) -> str:
    params = {k: v for k, v in query.items() if v}
    return f"{base.rstrip('/')}{BASE}/{path}?{urlencode(params)}"


async def ring_agent(rt: ChannelDeps, conv: Conversation) -> None:
    """Ring the assigned agent's phone or Twilio Client for a caller waiting in the queue.

    Records ``call.agent_ringing`` (with the leg's CallSid), or why nobody could be rung
    (``call.agent_unreachable``: no phone on the staff record, Twilio not configured or
    refusing). Never raises: the agent still has the conversation in the desk."""
    meta = conv.channel_meta or {}
    transfer = meta.get("transfer") or {}
    if transfer.get("mode") != "enqueue" or meta.get("call_status") in CALLER_GONE:
        return  # dialled straight to a number, or the caller already hung up
    leg = meta.get("agent_leg") or {}
    if leg.get("agent_id") == conv.assigned_agent_id and leg.get("status") in (
        "queued",
        "initiated",
        "ringing",
        "in-progress",
    ):
        return  # already ringing them (a repeated status delivery)
    async with rt.sessions() as session:
        agent = await repo.get_agent(
            session, conv.assigned_agent_id or "", workspace_id=conv.workspace_id
        )
    if agent is None:
        return
    if not agent.phone:
        await _record_leg(rt, conv.id, agent.id, status="unreachable", error="no phone on record")
        return
    settings = rt.settings
    base = settings.public_url or transfer.get("callback_base") or ""
    inbox = transfer.get("inbox")
    query = {"conversation": conv.id, "agent": agent.id, "inbox": inbox}
    try:
        client = twilio_client(rt)
        call = await call_twilio(
            lambda: client.calls.create(
                to=agent.phone,
                from_=meta.get("our_number"),
                url=_callback(base, "agent", **query),
                method="POST",
                status_callback=_callback(base, "agent-status", **query),
                status_callback_method="POST",
                status_callback_event=["initiated", "ringing", "answered", "completed"],
                timeout=RING_SECONDS,
            )
        )
    except DeliveryError as exc:
        log.warning("voice.agent_ring_failed", conversation_id=conv.id, error=str(exc))
        await _record_leg(rt, conv.id, agent.id, status="unreachable", error=str(exc)[:300])
        return
    log.info("voice.agent_ringing", conversation_id=conv.id, agent_id=agent.id, leg=call.sid)
    await _record_leg(rt, conv.id, agent.id, status="queued", call_sid=call.sid)


async def _record_leg(
    rt: ChannelDeps,
    conversation_id: str,
    agent_id: str,
    *,
    status: str,
    call_sid: str | None = None,
    error: str | None = None,
) -> None:
    leg = {"agent_id": agent_id, "call_sid": call_sid, "status": status, "at": iso(utcnow())}
    if error:
        leg["error"] = error
    event = "call.agent_ringing" if status == "queued" else "call.agent_unreachable"
    async with transaction(rt.sessions) as session:
        conv = await repo.get_conversation(session, conversation_id, lock=True)
        if conv is None:
            return
        conv.channel_meta = {**(conv.channel_meta or {}), "agent_leg": leg}
        repo.add_event(session, conv, event, actor="system", data=leg)


def _leg_query(request: Request) -> tuple[str, str]:
    conversation_id = request.query_params.get("conversation", "")
    agent_id = request.query_params.get("agent", "")
    if not conversation_id or not agent_id:
        raise InvalidInput("An agent-leg webhook needs ?conversation= and ?agent=.")
    return conversation_id, agent_id


@router.post(f"{BASE}/agent", response_class=Response)
async def agent_answered(request: Request) -> Response:
    """The agent picked up: whisper the handoff summary to them (the caller hears nothing of
    it), then bridge them to the caller in the call's queue. If the call is no longer theirs
    (taken back, reassigned, the caller hung up), say so and hang up."""
    rt: ChannelDeps = request.app.state.runtime
    form = await signed_form(request, rt)
    conversation_id, agent_id = _leg_query(request)
    language = rt.settings.voice_language
    async with rt.sessions() as session:
        conv = await repo.get_conversation(session, conversation_id)
        customer = await repo.get_customer(session, conv.customer_id) if conv else None
    response = VoiceResponse()
    meta = (conv.channel_meta or {}) if conv else {}
    target = (meta.get("transfer") or {}).get("target")
    waiting = (
        conv is not None
        and conv.status == "assigned"
        and conv.assigned_agent_id == agent_id
        and (meta.get("agent_leg") or {}).get("call_sid") == form.get("CallSid")
        and meta.get("call_status") not in CALLER_GONE
        and bool(target)
    )
    if not waiting or conv is None:
        response.say(NOT_WAITING, language=language)
        response.hangup()
        return twiml(str(response))
    response.say(whisper(conv, customer.name if customer else None), language=language)
    dial = Dial()
    dial.queue(target)
    response.append(dial)
    response.hangup()
    return twiml(str(response))


@router.post(f"{BASE}/agent-status", status_code=204, response_class=Response)
async def agent_leg_status(request: Request) -> Response:
    """The agent's leg progressed. Not answered (no-answer, busy, failed, canceled): the
    conversation goes back to the queue without them (audited), and the queue is dispatched."""
    rt: ChannelDeps = request.app.state.runtime
    form = await signed_form(request, rt)
    conversation_id, agent_id = _leg_query(request)
    status = form.get("CallStatus", "")
    leg_sid = form.get("CallSid", "")
    outbox = Outbox()
    requeued = False
    async with transaction(rt.sessions) as session:
        conv = await repo.get_conversation(session, conversation_id, lock=True)
        if conv is None:
            return Response(status_code=204)
        meta = conv.channel_meta or {}
        leg = dict(meta.get("agent_leg") or {})
        if leg.get("call_sid") != leg_sid or leg.get("agent_id") != agent_id:
            return Response(status_code=204)  # an older leg's late callback
        if leg.get("status") in UNANSWERED:
            return Response(status_code=204)  # a repeated callback
        leg.update(status=status, at=iso(utcnow()))
        conv.channel_meta = {**meta, "agent_leg": leg}
        if status == "in-progress":
            repo.add_event(session, conv, "call.agent_connected", actor="system", data=leg)
        if (
            status in UNANSWERED
            and conv.status == "assigned"
            and conv.assigned_agent_id == agent_id
            and meta.get("call_status") not in CALLER_GONE
        ):
            await _back_to_queue(session, outbox, conv, agent_id, status)
            requeued = True
    await outbox.flush(rt)
    if requeued:
        log.warning(
            "voice.agent_unanswered",
            conversation_id=conversation_id,
            agent_id=agent_id,
            status=status,
        )
        await dispatch(rt, conv.workspace_id)
    return Response(status_code=204)


async def _back_to_queue(
    session: Any, outbox: Outbox, conv: Conversation, agent_id: str, status: str
) -> None:
    """The caller is still on hold and nobody picked up: queue the conversation again, not
    offered to the agent who did not answer (``handoff.declined_by``)."""
    now = utcnow()
    conv.status, conv.assigned_agent_id, conv.queued_at, conv.updated_at = "queued", None, now, now
    handoff = dict(conv.handoff or {})
    handoff["declined_by"] = sorted({*handoff.get("declined_by", []), agent_id})
    conv.handoff = handoff
    data = {"agent_id": agent_id, "call_status": status}
    repo.add_event(session, conv, "call.agent_unanswered", actor="system", data=data)
    repo.add_event(
        session,
        conv,
        "conversation.queued",
        actor="system",
        data={"tier": conv.tier, "reasons": ["agent_unanswered"], "skill": conv.required_skill},
    )
    audit(
        session,
        action="conversation.requeued",
        actor_type="system",
        workspace_id=conv.workspace_id,
        target_type="conversation",
        target_id=conv.id,
        details={**data, "reason": "agent did not answer the call"},
    )
    await session.flush()
    state = conversation_state(conv)
    outbox.emit(ConversationQueued(conv.workspace_id, conversation=state))
    outbox.emit(QueueUpdated(conv.workspace_id))
