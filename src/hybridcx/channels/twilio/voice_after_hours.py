"""After hours on the phone: a caller who needs a person while the team is away hears
the honest message (the next opening time) and then a choice on the keypad or by voice, as the
web chat offers it: 1 = leave a message (a voicemail: ``<Record>``), 2 = a callback at the next
opening. Anything else, or silence, repeats the choice once, then takes a message.

The choice is recorded by ``hours.service.record_choice``, the same function the web chat's
``POST /api/v1/conversations/{id}/after-hours`` uses; the conversation stays queued, flagged
``after_hours`` for the next shift. The voicemail (Twilio's ``RecordingUrl``, and later its
transcription) is stored as the customer's message of the call's conversation.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import Response
from twilio.twiml.voice_response import Gather, VoiceResponse

from hybridcx.channels import repository as chrepo
from hybridcx.channels.deps import ChannelDeps
from hybridcx.channels.ingest import ingest_inbound
from hybridcx.channels.twilio.webhooks import public_base, signed_form, twiml
from hybridcx.conversations import repository as repo
from hybridcx.customers.repository import to_e164 as normalize_phone
from hybridcx.hours.calendar import describe, zone
from hybridcx.hours.service import record_choice
from hybridcx.kit.errors import InvalidInput, NotFound
from hybridcx.models import Conversation
from hybridcx.workspaces.repository import find_channel_inbox

log = structlog.get_logger(__name__)

router = APIRouter(tags=["channels"])
BASE = "/channels/voice/twilio/after-hours"
MAX_VOICEMAIL_SECONDS = 180

AGAIN = "Sorry, I didn't get that."
LEAVE_MESSAGE = (
    "Please leave your message after the tone, with anything we should know. "
    "Press the pound key or hang up when you're done."
)
TAKEN = "Thank you. Your message is with our team, and the first person in will follow up. Goodbye."
NOTHING_RECORDED = "I didn't hear a message. We have your number and will follow up. Goodbye."
_WORDS = {"one": 1, "two": 2, "won": 1, "to": 2, "too": 2, "three": 3}


def menu(next_open: str | None, timezone: str) -> str:
    """The choice as the caller hears it (a callback only when a reopening time is known)."""
    if next_open is None:
        return "To leave a message for our team, press 1 or say one."
    when = describe(datetime.fromisoformat(next_open), timezone)
    return (
        "To leave a message for our team, press 1 or say one. "
        f"To have us call you back when we open, {when}, press 2 or say two. "
        "To choose another time that day, press 3."
    )


def time_prompt(next_open: str, timezone: str) -> str:
    day = _local(datetime.fromisoformat(next_open), timezone)
    return (
        f"Please key in the time to call you on {day:%A} {day.day} {day:%B}, as four digits in "
        "24-hour time: for example 1 4 3 0 for half past two in the afternoon."
    )


def _local(t: datetime, timezone: str) -> datetime:
    return t.replace(tzinfo=UTC).astimezone(zone(timezone))


def keyed_time(digits: str, speech: str) -> tuple[int, int] | None:
    """(hour, minute) from "1430" keyed, or "14:30" / "14 30" said; None otherwise."""
    text = (digits or "").strip() or (speech or "").strip()
    match = re.fullmatch(r"(\d{1,2})[:.\s]?(\d{2})", text)
    if match is None:
        return None
    hour, minute = int(match[1]), int(match[2])
    return (hour, minute) if hour < 24 and minute < 60 else None


def picked(digits: str, speech: str) -> int | None:
    """1 or 2, keyed or spoken ("one", "2", "a call back please", "leave a message")."""
    text = (digits or "").strip() or (speech or "").strip().lower()
    if not text:
        return None
    if "call" in text:
        return 2
    if "message" in text:
        return 1
    found = [int(t) if t.isdigit() else _WORDS.get(t) for t in re.findall(r"\d+|[a-z]+", text)]
    values = {n for n in found if n in (1, 2, 3)}
    return values.pop() if len(values) == 1 else None


def _url(path: str, inbox: str | None, **extra: str | int) -> str:
    query = {**({"inbox": inbox} if inbox else {}), **{k: str(v) for k, v in extra.items()}}
    return f"{BASE}{path}" + (f"?{urlencode(query)}" if query else "")


def _language(rt: ChannelDeps) -> str:
    return rt.settings.voice_language


def _ask(
    rt: ChannelDeps, response: VoiceResponse, say: list[str], state: dict[str, Any], *, tries: int
) -> None:
    language = _language(rt)
    action = _url("", state.get("inbox"), tries=tries)
    gather = Gather(
        input="dtmf speech",
        action=action,
        method="POST",
        speech_timeout="auto",
        timeout=6,
        num_digits=1,
        language=language,
        hints="one, two, message, call back",
    )
    for text in say:
        gather.say(text, language=language)
    gather.say(menu(state.get("next_open"), state.get("timezone") or "UTC"), language=language)
    response.append(gather)
    # Silence: Twilio falls through to the next verb, which asks the same action (no input).
    response.redirect(action, method="POST")


async def offer_after_hours(
    response: VoiceResponse,
    rt: ChannelDeps,
    conversation_id: str,
    say: list[str],
    *,
    inbox: str | None,
) -> bool:
    """A turn has just queued the call: while the team is away, say ``say`` (the honest
    message) and offer the choice instead of holding. False (nothing added) while open."""
    async with rt.sessions() as session:
        conv = await repo.get_conversation(session, conversation_id)
    if conv is None or conv.status != "queued" or not conv.after_hours:
        return False
    _ask(rt, response, say, {**conv.after_hours, "inbox": inbox}, tries=0)
    log.info("voice.after_hours_offered", conversation_id=conversation_id)
    return True


async def _call_conversation(rt: ChannelDeps, call_sid: str, inbox: str | None) -> Conversation:
    async with rt.sessions() as session:
        found = await find_channel_inbox(session, "voice", inbox)
        conv = (
            await chrepo.find_thread(
                session, found.workspace_id, channel="voice", thread_key=call_sid
            )
            if found is not None and call_sid
            else None
        )
    if conv is None:
        raise NotFound(f"No call {call_sid!r} is known here.")
    return conv


def _record(rt: ChannelDeps, response: VoiceResponse, inbox: str | None, base: str) -> None:
    language = _language(rt)
    response.say(LEAVE_MESSAGE, language=language)
    response.record(
        action=_url("/recording", inbox),
        method="POST",
        max_length=MAX_VOICEMAIL_SECONDS,
        finish_on_key="#",
        play_beep=True,
        transcribe=True,
        transcribe_callback=base + _url("/transcription", inbox),
    )
    # An empty recording: Twilio skips the action and goes on here.
    response.say(NOTHING_RECORDED, language=language)
    response.hangup()


@router.post(BASE, response_class=Response)
async def after_hours_choice(
    request: Request, inbox: str | None = None, tries: int = 0
) -> Response:
    """The caller's choice (``Digits`` or ``SpeechResult``; neither after silence)."""
    rt: ChannelDeps = request.app.state.runtime
    form = await signed_form(request, rt)
    sid = form.get("CallSid", "")
    conv = await _call_conversation(rt, sid, inbox)
    response = VoiceResponse()
    state = dict(conv.after_hours or {})
    if conv.status != "queued" or not state:
        response.say("Our team has your call. Goodbye.", language=_language(rt))
        response.hangup()
        return twiml(str(response))
    choice = picked(form.get("Digits", ""), form.get("SpeechResult", ""))
    if choice in (2, 3) and not state.get("next_open"):
        choice = None
    if choice is None and tries < 1:
        _ask(rt, response, [AGAIN], {**state, "inbox": inbox}, tries=tries + 1)
        return twiml(str(response))
    if choice == 3:
        _ask_time(rt, response, [], state, inbox, tries=0)
        return twiml(str(response))
    if choice == 2:
        await _callback(rt, response, conv, datetime.fromisoformat(state["next_open"]), state)
        return twiml(str(response))
    # 1, or nothing usable twice: take a message (follow-up by email, else text message).
    await record_choice(rt, conv, choice="message", callback_at=None, phone=None)
    _record(rt, response, inbox, public_base(request, rt.settings.public_url))
    return twiml(str(response))


def _ask_time(
    rt: ChannelDeps,
    response: VoiceResponse,
    say: list[str],
    state: dict[str, Any],
    inbox: str | None,
    *,
    tries: int,
) -> None:
    language = _language(rt)
    action = _url("/time", inbox, tries=tries)
    gather = Gather(
        input="dtmf speech",
        action=action,
        method="POST",
        speech_timeout="auto",
        timeout=8,
        num_digits=4,
        finish_on_key="#",
        language=language,
    )
    for text in say:
        gather.say(text, language=language)
    gather.say(time_prompt(state["next_open"], state.get("timezone") or "UTC"), language=language)
    response.append(gather)
    response.redirect(action, method="POST")


async def _callback(
    rt: ChannelDeps,
    response: VoiceResponse,
    conv: Conversation,
    at: datetime,
    state: dict[str, Any],
) -> None:
    """Book the callback (the web chat's choice, by the same function) and say goodbye."""
    await record_choice(rt, conv, choice="callback", callback_at=at, phone=None)
    when = describe(at, state.get("timezone") or "UTC")
    response.say(
        f"Thank you. We'll call you back on this number {when}. Goodbye.", language=_language(rt)
    )
    response.hangup()
    log.info("voice.after_hours_callback", conversation_id=conv.id)


@router.post(f"{BASE}/time", response_class=Response)
async def after_hours_time(request: Request, inbox: str | None = None, tries: int = 0) -> Response:
    """The callback time the caller keyed in (HHMM on the day the team reopens, local time).
    A time the team is closed, or no usable time, asks once more; then the callback is booked
    at the next opening."""
    rt: ChannelDeps = request.app.state.runtime
    form = await signed_form(request, rt)
    conv = await _call_conversation(rt, form.get("CallSid", ""), inbox)
    response = VoiceResponse()
    state = dict(conv.after_hours or {})
    if conv.status != "queued" or not state.get("next_open"):
        response.say("Our team has your call. Goodbye.", language=_language(rt))
        response.hangup()
        return twiml(str(response))
    timezone = state.get("timezone") or "UTC"
    next_open = datetime.fromisoformat(state["next_open"])
    hm = keyed_time(form.get("Digits", ""), form.get("SpeechResult", ""))
    problem = AGAIN
    if hm is not None:
        local = _local(next_open, timezone).replace(hour=hm[0], minute=hm[1])
        at = local.astimezone(UTC).replace(tzinfo=None)
        try:
            await _callback(rt, response, conv, at, state)
            return twiml(str(response))
        except InvalidInput as exc:
            problem = exc.message
    if tries < 1:
        _ask_time(rt, response, [problem], state, inbox, tries=tries + 1)
        return twiml(str(response))
    await _callback(rt, response, conv, next_open, state)
    return twiml(str(response))


def _seconds(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@router.post(f"{BASE}/recording", response_class=Response)
async def voicemail(request: Request, inbox: str | None = None) -> Response:
    """``<Record>``'s action: ``RecordingUrl``, ``RecordingSid``, ``RecordingDuration`` and
    ``Digits`` (the finishing key, or ``hangup``). The voicemail is stored once (by recording
    sid) as the customer's message; nobody answers it until the team is in."""
    rt: ChannelDeps = request.app.state.runtime
    form = await signed_form(request, rt)
    sid, url, rec = form.get("CallSid", ""), form.get("RecordingUrl", ""), form.get("RecordingSid")
    if not sid or not url or not rec:
        raise InvalidInput("A recording callback needs CallSid, RecordingSid and RecordingUrl.")
    conv = await _call_conversation(rt, sid, inbox)
    duration = _seconds(form.get("RecordingDuration"))
    length = f", {duration} seconds" if duration is not None else ""
    await ingest_inbound(
        rt,
        channel="voice",
        inbox_key=inbox,
        phone=normalize_phone(form.get("From", "")) or await _phone_of(rt, conv),
        text=f"[Voicemail{length}: {url}]",
        external_id=f"{sid}:voicemail:{rec}",
        thread_key=sid,
        meta={
            "call_sid": sid,
            "source": "voicemail",
            "recording_sid": rec,
            "recording_url": url,
            "recording_duration": duration,
        },
        answer=False,
    )
    response = VoiceResponse()
    response.say(TAKEN, language=_language(rt))
    response.hangup()
    return twiml(str(response))


@router.post(f"{BASE}/transcription", status_code=204, response_class=Response)
async def voicemail_transcription(request: Request, inbox: str | None = None) -> Response:
    """``transcribeCallback``: ``TranscriptionSid``, ``TranscriptionText``,
    ``TranscriptionStatus`` (completed or failed), ``RecordingSid``, ``RecordingUrl``. A
    completed transcription is stored (once) as the customer's words, next to the voicemail."""
    rt: ChannelDeps = request.app.state.runtime
    form = await signed_form(request, rt)
    sid = form.get("CallSid", "")
    if form.get("TranscriptionStatus", "completed") != "completed":
        return Response(status_code=204)  # failed: the recording itself is already stored
    text = (form.get("TranscriptionText") or "").strip()
    if not sid or not text or not form.get("TranscriptionSid"):
        raise InvalidInput(
            "A transcription callback needs CallSid, TranscriptionSid and TranscriptionText."
        )
    conv = await _call_conversation(rt, sid, inbox)
    await ingest_inbound(
        rt,
        channel="voice",
        inbox_key=inbox,
        phone=normalize_phone(form.get("From", "")) or await _phone_of(rt, conv),
        text=text,
        external_id=f"{sid}:voicemail-text:{form['TranscriptionSid']}",
        thread_key=sid,
        meta={
            "call_sid": sid,
            "source": "voicemail_transcription",
            "recording_sid": form.get("RecordingSid"),
            "recording_url": form.get("RecordingUrl"),
        },
        answer=False,
    )
    return Response(status_code=204)


async def _phone_of(rt: ChannelDeps, conv: Conversation) -> str | None:
    async with rt.sessions() as session:
        customer = await repo.get_customer(session, conv.customer_id)
    return customer.phone
