"""The phone line over Twilio Voice: an AI voice bot (greeting with the AI disclosure, speech
turns through the same pipeline), warm transfer to people, live transcript with agent assist
(whisper assist), and the post-call summary."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import Response
from twilio.twiml.voice_response import Dial, Gather, Start, VoiceResponse

from hybridcx.channels import repository as chrepo
from hybridcx.channels.base import Capabilities, register_adapter
from hybridcx.channels.deps import ChannelDeps
from hybridcx.channels.ingest import InboundResult, ingest_inbound, open_inbound_thread
from hybridcx.channels.twilio.agent_leg import queue_name, ring_agent
from hybridcx.channels.twilio.sms import TwilioSmsAdapter
from hybridcx.channels.twilio.voice_after_hours import offer_after_hours
from hybridcx.channels.twilio.webhooks import public_base, signed_form, twiml
from hybridcx.conversations import repository as repo
from hybridcx.conversations.handling import ConversationHandling
from hybridcx.conversations.turns import CustomerTurns
from hybridcx.customers.repository import to_e164 as normalize_phone
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import InvalidInput
from hybridcx.kit.ids import utcnow
from hybridcx.kit.redaction import has_payment_data, mask_payment_data
from hybridcx.kit.time import iso
from hybridcx.models import Conversation
from hybridcx.workspaces.repository import find_channel_inbox

log = structlog.get_logger(__name__)

router = APIRouter(tags=["channels"])

VOICE_CAPABILITIES = Capabilities(buttons=False, attachments=False, max_length=None, markup="ssml")
BASE = "/channels/voice/twilio"
ENDED = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})

HOLD_MESSAGE = "Please hold while I connect you to a member of our team. They will have our notes."
NO_INPUT = "Sorry, I didn't hear anything. Please call again whenever you're ready. Goodbye."
REPROMPT = "Sorry, I didn't catch that. Could you say it again?"
KEYPAD_CARD = (
    "Thank you. I received the card number from your keypad. For your security it is not "
    "stored, shown to anyone or read back. Is there anything else I can help you with?"
)
KEYPAD_CODE = (
    "Thank you. I received the security code from your keypad. It is not stored, shown to "
    "anyone or read back either. Is there anything else I can help you with?"
)
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}


def greeting(name: str | None) -> str:
    """What a caller hears when the AI answers (the chat's disclosure, for the ear)."""
    hello = f"Hi {name.split()[0]}!" if name else "Hi!"
    return (
        f"{hello} You're speaking with our AI assistant. How can I help you today? "
        "You can say agent at any time to talk to a person."
    )


def opening_words(result: InboundResult, name: str | None) -> list[str]:
    """The opening turn's messages as spoken (the stored transcript and what the caller hears
    agree); a caller going straight to people hears the disclosure, not an invitation to talk."""
    if result.status == "bot":
        return [spoken(m) for m in result.ai_messages] or [greeting(name)]
    system = [spoken(m) for m in result.ai_messages if m["author"] == "system"]
    hello = f"Hi {name.split()[0]}!" if name else "Hi!"
    # the expected wait is a system message too; the AI's disclosure still comes first
    # unless the opening is the system's own (a human-only customer).
    first = result.ai_messages[0]["author"] if result.ai_messages else None
    return (
        [] if first == "system" else [f"{hello} You're speaking with our AI assistant."]
    ) + system


def spoken(message: dict[str, Any]) -> str:
    """A reply as the bot says it: no source links or chat wording, quick replies as choices."""
    text = re.sub(r"\n*Source: [^\n]*", "", message["text"])
    text = re.sub(r"\s*\(/[^)]*\)", "", text)
    text = text.replace('type "agent"', "say agent").replace("just type", "just say")
    text = text.replace("You're chatting with", "You're speaking with")
    buttons = list(message.get("buttons") or [])
    if buttons and not all(b in text for b in buttons):
        options = " or ".join(
            [", ".join(buttons[:-1]), buttons[-1]] if len(buttons) > 1 else buttons
        )
        text = f"{text} You can say {options}."
    return " ".join(text.split())


def pick_spoken(text: str, buttons: list[str]) -> str:
    """'two' or '2.' answering spoken choices picks that choice; anything else unchanged."""
    word = text.strip().strip(".!?").lower()
    n = NUMBER_WORDS.get(word) or (int(word) if word.isdigit() else 0)
    return buttons[n - 1] if buttons and 1 <= n <= len(buttons) else text


def _url(path: str, inbox: str | None) -> str:
    return f"{BASE}/{path}" + (f"?{urlencode({'inbox': inbox})}" if inbox else "")


def _gather(response: VoiceResponse, rt: ChannelDeps, inbox: str | None, say: list[str]) -> None:
    language = rt.settings.voice_language
    # Keypad too: callers key in numbers (and card numbers, which nobody may hear) with DTMF.
    gather = Gather(
        input="dtmf speech",
        action=_url("gather", inbox),
        method="POST",
        speech_timeout="auto",
        finish_on_key="#",
        language=language,
    )
    for text in say:
        gather.say(text, language=language)
    response.append(gather)
    response.say(NO_INPUT, language=language)
    response.hangup()


async def _transfer(
    response: VoiceResponse,
    rt: ChannelDeps,
    conversation_id: str,
    say: list[str],
    *,
    base: str,
    inbox: str | None,
) -> None:
    """Warm transfer: live transcription starts (so the desk's transcript and assist follow
    the call), a short hold message, then the caller waits in the call's own queue
    (<Enqueue>) until an agent accepts and is bridged, or rings the configured client or
    number (<Dial>), per HYBRIDCX_VOICE_TRANSFER."""
    if await offer_after_hours(response, rt, conversation_id, say, inbox=inbox):
        return  # the team is away: the caller chooses a message or a callback
    settings = rt.settings
    mode = settings.voice_transfer
    target = settings.voice_transfer_target
    language = settings.voice_language
    async with transaction(rt.sessions) as session:
        conv = await repo.get_conversation(session, conversation_id)
        assert conv is not None
        ws = await repo.get_workspace(session, conv.workspace_id)
        if mode == "enqueue":
            call_sid = str((conv.channel_meta or {}).get("call_sid") or conv.thread_key or "")
            target = queue_name(target or f"hybridcx-{ws.slug}", call_sid)
        transfer = {
            "mode": mode,
            "target": target,
            "at": iso(utcnow()),
            "callback_base": base,
            "inbox": inbox,
        }
        conv.channel_meta = {**(conv.channel_meta or {}), "transfer": transfer}
        repo.add_event(session, conv, "call.transferred", actor="system", data=transfer)
    start = Start()
    start.transcription(
        status_callback_url=base + _url("transcript", inbox),
        status_callback_method="POST",
        track="inbound_track",
        language_code=language,
    )
    response.append(start)
    for text in say:
        response.say(text, language=language)
    response.say(HOLD_MESSAGE, language=language)
    if mode == "enqueue":
        response.enqueue(target)
    else:
        if not target:
            raise InvalidInput("HYBRIDCX_VOICE_TRANSFER=dial needs HYBRIDCX_VOICE_TRANSFER_TARGET.")
        dial = Dial()
        if target.startswith("client:"):
            dial.client(target.removeprefix("client:"))
        elif target.startswith("sip:"):
            dial.sip(target)
        else:
            dial.number(target)
        response.append(dial)
    log.info("voice.transfer", conversation_id=conversation_id, mode=mode, target=target)


def _base(request: Request, rt: ChannelDeps) -> str:
    return public_base(request, rt.settings.public_url)


def _caller(form: dict[str, str]) -> tuple[str, str]:
    caller = normalize_phone(form.get("From", ""))
    sid = form.get("CallSid", "")
    if not caller or not sid:
        raise InvalidInput("A Twilio voice webhook needs From (a phone number) and CallSid.")
    return caller, sid


@router.post(f"{BASE}/incoming", response_class=Response)
async def incoming_call(request: Request, inbox: str | None = None) -> Response:
    """A call comes in: greet with the AI disclosure and listen (<Gather input="speech">)."""
    rt: ChannelDeps = request.app.state.runtime
    form = await signed_form(request, rt)
    caller, sid = _caller(form)
    result = await open_inbound_thread(
        rt,
        channel="voice",
        inbox_key=inbox,
        phone=caller,
        thread_key=sid,
        conversation_meta={
            "call_sid": sid,
            "customer_number": caller,
            "our_number": form.get("To"),
            "call_status": form.get("CallStatus", "ringing"),
        },
    )
    name = await _customer_name(rt, result)
    words = opening_words(result, name)
    response = VoiceResponse()
    if result.status in ("queued", "assigned"):  # a VIP or human-only caller: people at once
        await _transfer(
            response, rt, result.conversation_id, words, base=_base(request, rt), inbox=inbox
        )
    else:
        _gather(response, rt, inbox, words)
    return twiml(str(response))


async def _customer_name(rt: ChannelDeps, result: InboundResult) -> str | None:
    async with rt.sessions() as session:
        customer = await repo.get_customer(session, result.customer_id)
    return customer.name or None


@router.post(f"{BASE}/gather", response_class=Response)
async def gathered_speech(request: Request, inbox: str | None = None) -> Response:
    """What the caller said (SpeechResult, Confidence) as a customer turn; answer with <Say>
    and listen again, or transfer when the turn hands the call to people."""
    rt: ChannelDeps = request.app.state.runtime
    form = await signed_form(request, rt)
    caller, sid = _caller(form)
    digits = "".join(ch for ch in form.get("Digits", "") if ch.isdigit())
    speech = (form.get("SpeechResult") or "").strip() or digits
    response = VoiceResponse()
    if digits and has_payment_data(mask_payment_data(digits)):
        await _keypad_card(rt, caller, sid, inbox, what="card number")
        _gather(response, rt, inbox, [KEYPAD_CARD])
        return twiml(str(response))
    if len(digits) in (3, 4) and await _card_just_keyed(rt, sid, inbox):
        await _keypad_card(rt, caller, sid, inbox, what="security code")
        _gather(response, rt, inbox, [KEYPAD_CODE])
        return twiml(str(response))
    if not speech:
        _gather(response, rt, inbox, [REPROMPT])
        return twiml(str(response))
    buttons = await _pending_choices(rt, sid, inbox)
    picked = pick_spoken(speech, buttons)
    meta: dict[str, Any] = {
        "call_sid": sid,
        "source": "keypad" if digits and speech == digits else "gather",
        "confidence": _float(form),
    }
    if picked != speech:
        meta["typed"] = speech
    result = await ingest_inbound(
        rt,
        channel="voice",
        inbox_key=inbox,
        phone=caller,
        text=picked,
        thread_key=sid,
        meta=meta,
    )
    said = [spoken(m) for m in result.ai_messages if m["text"].strip()]
    if result.status in ("queued", "assigned"):
        await _transfer(
            response, rt, result.conversation_id, said, base=_base(request, rt), inbox=inbox
        )
    else:
        _gather(response, rt, inbox, said or [REPROMPT])
    return twiml(str(response))


async def _keypad_card(
    rt: ChannelDeps, caller: str, sid: str, inbox: str | None, *, what: str
) -> None:
    """Card data keyed in: the digits go nowhere (not the transcript, the pipeline, a log or an
    event). The conversation records only that a card number or security code was keyed."""
    await ingest_inbound(
        rt,
        channel="voice",
        inbox_key=inbox,
        phone=caller,
        text=f"[{what} keyed in on the keypad: not stored]",
        thread_key=sid,
        meta={"call_sid": sid, "source": "keypad", "payment": True},
        answer=False,
    )


async def _card_just_keyed(rt: ChannelDeps, call_sid: str, inbox: str | None) -> bool:
    """The caller's last input was a card number: three or four digits now are its code."""
    async with rt.sessions() as session:
        conv = await _call_conversation(session, call_sid, inbox)
        if conv is None:
            return False
        last = await chrepo.last_public_message(session, conv.id)
    return (
        last is not None
        and last.author == "customer"
        and bool((last.channel_meta or {}).get("payment"))
        and last.text.startswith("[card number")
    )


def _float(form: dict[str, str]) -> float | None:
    try:
        return round(float(form["Confidence"]), 4)
    except (KeyError, ValueError):
        return None


async def _pending_choices(rt: ChannelDeps, call_sid: str, inbox: str | None) -> list[str]:
    async with rt.sessions() as session:
        conv = await _call_conversation(session, call_sid, inbox)
        return await chrepo.last_ai_buttons(session, conv.id) if conv else []


async def _call_conversation(
    session: Any, call_sid: str, inbox: str | None = None
) -> Conversation | None:
    """The call's conversation, in the workspace of the webhook's voice inbox."""
    found = await find_channel_inbox(session, "voice", inbox)
    if found is None or not call_sid:
        return None
    return await chrepo.find_thread(
        session, found.workspace_id, channel="voice", thread_key=call_sid
    )


@router.post(f"{BASE}/transcript", status_code=204, response_class=Response)
async def live_transcript(request: Request, inbox: str | None = None) -> Response:
    """Whisper assist: the caller's transcribed speech while an agent is on the call.

    Accepts Twilio's real-time transcription callback (``TranscriptionEvent`` =
    ``transcription-content`` with ``TranscriptionData`` JSON, ``Track``, ``SequenceId``) and
    the recording transcription callback (``TranscriptionText``). Each caller segment is stored
    as a customer message of the call's conversation (once per sequence id), pushed to the desks
    and followed by fresh agent assist. Nothing is said to the caller."""
    import json

    rt: ChannelDeps = request.app.state.runtime
    form = await signed_form(request, rt)
    sid = form.get("CallSid", "")
    event = form.get("TranscriptionEvent")
    if event and event != "transcription-content":
        return Response(status_code=204)  # transcription-started / -stopped: nothing to store
    if form.get("Track", "inbound_track") != "inbound_track":
        return Response(status_code=204)  # the agent's own voice: they know what they said
    text = form.get("TranscriptionText") or form.get("Text") or ""
    confidence: float | None = None
    if form.get("TranscriptionData"):
        try:
            data = json.loads(form["TranscriptionData"])
        except ValueError as exc:
            raise InvalidInput("TranscriptionData is not JSON.") from exc
        text = str(data.get("transcript") or "")
        confidence = data.get("confidence")
    if not sid or not text.strip():
        raise InvalidInput("A transcript callback needs CallSid and the transcribed text.")
    async with rt.sessions() as session:
        conv = await _call_conversation(session, sid, inbox)
    if conv is None:
        raise InvalidInput(f"No call {sid!r} is known here.")
    async with rt.sessions() as session:
        customer = await repo.get_customer(session, conv.customer_id)
    seq = form.get("SequenceId") or form.get("TranscriptionSid")
    result = await ingest_inbound(
        rt,
        channel="voice",
        inbox_key=inbox,
        email=customer.email,
        phone=customer.phone,
        text=text,
        external_id=f"{sid}:transcript:{seq}" if seq else None,
        thread_key=sid,
        meta={"call_sid": sid, "source": "transcript", "confidence": confidence},
        answer=False,  # people have the call; the AI listens and advises, it does not speak
    )
    if not result.duplicate:
        await CustomerTurns(rt).push_assist(result.conversation_id)
    return Response(status_code=204)


@router.post(f"{BASE}/status", status_code=204, response_class=Response)
async def call_status(request: Request, inbox: str | None = None) -> Response:
    """Call progress. When the call has ended: the AI summary and category (intent, outcome)
    are saved to the conversation, which is resolved unless an agent still has it to wrap up."""
    rt: ChannelDeps = request.app.state.runtime
    form = await signed_form(request, rt)
    sid = form.get("CallSid", "")
    status = form.get("CallStatus", "")
    async with transaction(rt.sessions) as session:
        conv = await _call_conversation(session, sid, inbox)
        if conv is None:
            return Response(status_code=204)  # a call that never reached the bot
        conv.channel_meta = {**(conv.channel_meta or {}), "call_status": status}
        conv_id, conv_status = conv.id, conv.status
        transfer = (conv.channel_meta or {}).get("transfer")
        waits = conv_status == "queued" and bool(conv.after_hours)
    if status in ENDED and waits:
        return Response(status_code=204)  # after hours, it waits for the next shift
    if status in ENDED:
        if conv_status == "bot":
            outcome = "resolved_by_ai"
        elif conv_status == "queued":
            outcome = "abandoned_in_queue"
        else:
            outcome = "handled_by_agent" if transfer or conv_status == "assigned" else status
        duration = form.get("CallDuration")
        await ConversationHandling(rt).wrap_up(
            conv_id,
            outcome=outcome,
            data={
                "call_status": status,
                "duration_seconds": int(duration) if duration and duration.isdigit() else None,
            },
        )
        if conv_status == "resolved":
            # Resolved while the call was still live: the survey call that had to
            # wait for the line goes out now (once: a repeated callback finds it asked).
            from hybridcx.surveys.service import offer_after_resolution

            await offer_after_resolution(rt, conv_id)
    return Response(status_code=204)


class TwilioVoiceAdapter:
    """A typed reply on a call conversation: the caller hears the agent on the line, so what an
    agent types goes to the caller's phone as a text message (from the number they called)."""

    channel = "voice"
    capabilities = VOICE_CAPABILITIES

    async def send(
        self, rt: ChannelDeps, conversation: Conversation, message: dict[str, Any]
    ) -> dict[str, Any]:
        meta = await TwilioSmsAdapter().send(rt, conversation, message)
        return {**meta, "via": "sms"}

    async def agent_assigned(self, rt: ChannelDeps, conversation: Conversation) -> None:
        """Someone took the call in the desk: ring them and bridge them to the caller."""
        await ring_agent(rt, conversation)


register_adapter("voice", lambda rt: TwilioVoiceAdapter())
