"""Offering and recording surveys outside web chat.

After an agent resolves a conversation, :func:`offer_after_resolution` asks over its channel:

- **email**: a message in the mail thread with a link to ``/survey/<token>``; the token is the
  conversation id and a keyed HMAC of it (the key ring's index key, which key rotation keeps),
  so it opens that conversation's survey and nothing else;
- **SMS**: "Reply with a number from 1 to 5"; a reply of one digit (optionally followed by a
  0-10 recommendation score, "4 9") to a number whose last conversation asked is the answer;
- **voice**: once the call has ended, a short outbound call whose TwiML
  (``/channels/voice/twilio/survey``) asks for a keypad or spoken digit, then the optional 0-10
  question (a conversation resolved while its call is still on gets no survey call).

The question is stored as a system message of the conversation (what was sent, and the
delivery outcome), and ``channel_meta.survey`` records that it was asked. The answer is a
``survey.submitted`` event (``rating``, ``nps``, ``via``), once per conversation."""

from __future__ import annotations

import hmac
import re
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.conversations import repository as repo
from hybridcx.conversations.schemas import message_read
from hybridcx.kit.db import transaction
from hybridcx.kit.events import MessageToSend, SurveyCallToPlace
from hybridcx.kit.ids import utcnow
from hybridcx.kit.sealed import session_keyring
from hybridcx.kit.time import iso
from hybridcx.models import Conversation, ConversationEvent
from hybridcx.surveys.deps import SurveyDeps

log = structlog.get_logger(__name__)

SURVEY_EVENT = "survey.submitted"  # the same event as web chat's (web/queries.py)
CHANNELS = frozenset({"email", "sms", "voice"})
#: How long after the resolution an answer is taken.
OPEN_FOR = timedelta(days=14)

EMAIL_TEXT = (
    "Thank you for contacting us. How did we do? It takes one click to tell us (/survey/{token})."
)
SMS_TEXT = (
    "Thanks for contacting us! How did we do? Reply with a number from 1 (poor) to 5 "
    "(excellent). Optional: add how likely you are to recommend us, 0-10, e.g. 5 9."
)
SMS_THANKS = "Thank you for your feedback!"
_SMS_ANSWER = re.compile(r"^\s*([1-5])(?:\s*[,;/ ]\s*(10|[0-9]))?\s*[.!]?\s*$")


# ---- signed links ---------------------------------------------------------------------------


def _mac(session: AsyncSession, conversation_id: str) -> str:
    return session_keyring(session).blind_index(f"survey:{conversation_id}")[:32]


def token_for(session: AsyncSession, conversation_id: str) -> str:
    return f"{conversation_id}.{_mac(session, conversation_id)}"


def conversation_of_token(session: AsyncSession, token: str) -> str | None:
    """The conversation id a survey token was made for, or None when it was not made here."""
    conv_id, _, mac = token.partition(".")
    if not conv_id or not mac or len(conv_id) > 64:
        return None
    return conv_id if hmac.compare_digest(mac, _mac(session, conv_id)) else None


# ---- answers --------------------------------------------------------------------------------


async def has_survey(session: AsyncSession, conversation_id: str) -> bool:
    stmt = select(ConversationEvent.id).where(
        ConversationEvent.conversation_id == conversation_id,
        ConversationEvent.type == SURVEY_EVENT,
    )
    return (await session.execute(stmt.limit(1))).first() is not None


def open_for_answers(conv: Conversation) -> str | None:
    """Why this conversation's survey takes no answer, or None when it does."""
    if conv.status != "resolved" or conv.resolved_at is None:
        return "The survey opens once the conversation is resolved."
    if utcnow() - conv.resolved_at > OPEN_FOR:
        return "This survey has closed."
    return None


def record_answer(
    session: AsyncSession,
    conv: Conversation,
    *,
    rating: int,
    nps: int | None,
    via: str,
    comment: str = "",
    resolved: bool | None = None,
) -> None:
    """The ``survey.submitted`` event, as web chat records it (plus ``via``)."""
    data: dict[str, Any] = {
        "rating": rating,
        "nps": nps,
        "comment": comment,
        "agent_id": conv.assigned_agent_id,
        "via": via,
    }
    if resolved is not None:
        data["resolved"] = resolved
    repo.add_event(
        session, conv, SURVEY_EVENT, actor="customer", actor_id=conv.customer_id, data=data
    )
    survey = dict((conv.channel_meta or {}).get("survey") or {})
    conv.channel_meta = {
        **(conv.channel_meta or {}),
        "survey": {**survey, "status": "answered", "answered_at": iso(utcnow())},
    }


def parse_sms_answer(text: str) -> tuple[int, int | None] | None:
    match = _SMS_ANSWER.match(text or "")
    if match is None:
        return None
    return int(match.group(1)), (int(match.group(2)) if match.group(2) is not None else None)


async def answer_by_sms(rt: SurveyDeps, workspace_id: str, phone: str, text: str) -> str | None:
    """An SMS that answers the survey of this number's last conversation: the thanks to send
    back; None when the text is no survey answer (it is then handled as a message)."""
    parsed = parse_sms_answer(text)
    if parsed is None:
        return None
    async with transaction(rt.sessions) as session:
        stmt = (
            select(Conversation)
            .where(
                Conversation.workspace_id == workspace_id,
                Conversation.channel == "sms",
                Conversation.thread_key == phone,
            )
            .order_by(Conversation.created_at.desc())
            .limit(1)
            .with_for_update()
        )
        conv = (await session.execute(stmt)).scalar_one_or_none()
        if conv is None:
            return None
        survey = (conv.channel_meta or {}).get("survey") or {}
        if survey.get("status") != "asked" or open_for_answers(conv) is not None:
            return None
        if await has_survey(session, conv.id):
            return None
        record_answer(session, conv, rating=parsed[0], nps=parsed[1], via="sms")
    log.info("survey.answered", channel="sms", conversation_id=conv.id)
    return SMS_THANKS


# ---- offering -------------------------------------------------------------------------------


async def offer_after_resolution(rt: SurveyDeps, conversation_id: str) -> None:
    """Ask the customer of a just-resolved email, SMS or voice conversation. Never fails the
    resolution: a channel that cannot deliver is recorded on the message, and logged."""
    try:
        await _offer(rt, conversation_id)
    except Exception as exc:  # the survey is a nicety; the resolution stands
        log.warning("survey.offer_failed", conversation_id=conversation_id, error=str(exc))


async def _offer(rt: SurveyDeps, conversation_id: str) -> None:
    async with transaction(rt.sessions) as session:
        conv = await repo.get_conversation(session, conversation_id, lock=True)
        if conv is None or conv.channel not in CHANNELS or conv.status != "resolved":
            return
        if ((conv.channel_meta or {}).get("survey") or {}).get("status"):
            return  # asked already (a conversation resolved, reopened and resolved again)
        if conv.channel == "voice":
            base = _callback_base(rt, conv)
            why = _no_call(conv, base)
            if why is not None:
                log.info("survey.not_offered", conversation_id=conv.id, why=why)
                return
            text = "We called you for a short survey: press or say a number from 1 to 5."
        elif conv.channel == "email":
            text = EMAIL_TEXT.format(token=token_for(session, conv.id))
        else:
            text = SMS_TEXT
        msg = repo.add_message(
            session, conv, author="system", text=text, channel_meta={"survey": "csat"}
        )
        conv.channel_meta = {
            **(conv.channel_meta or {}),
            "survey": {"status": "asked", "channel": conv.channel, "asked_at": iso(utcnow())},
        }
        await session.flush()
        message = message_read(msg)
    if conv.channel == "voice":
        assert base is not None  # _no_call refused a call without one
        await rt.events.dispatch(rt, SurveyCallToPlace(conv, message["id"], base))
        return
    await rt.events.dispatch(rt, MessageToSend(conv, message))


#: Call states after which the customer's line is free for the survey call.
CALL_ENDED = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})


def _no_call(conv: Conversation, base: str | None) -> str | None:
    """Why no survey call is placed (None: call)."""
    if base is None:
        return "no callback URL"
    status = (conv.channel_meta or {}).get("call_status")
    if status not in CALL_ENDED:
        return f"the call is still {status or 'in progress'}"  # never ring a customer mid-call
    return None


def _callback_base(rt: SurveyDeps, conv: Conversation) -> str | None:
    transfer = (conv.channel_meta or {}).get("transfer") or {}
    base = rt.settings.public_url or transfer.get("callback_base")
    return str(base).rstrip("/") if base else None


async def answer_sms(rt: SurveyDeps, phone: str, text: str, inbox_key: str | None) -> str | None:
    """:func:`answer_by_sms` for the SMS inbox ``inbox_key`` (default: the default one)."""
    if parse_sms_answer(text) is None:
        return None  # the common case: no database work
    from hybridcx.workspaces.repository import find_channel_inbox

    async with rt.sessions() as session:
        inbox = await find_channel_inbox(session, "sms", inbox_key)
    if inbox is None:
        return None
    return await answer_by_sms(rt, inbox.workspace_id, phone, text)
