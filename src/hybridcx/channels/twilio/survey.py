"""The survey call: after a phone conversation is resolved, a short outbound call
asks for CSAT (a keypad or spoken digit, 1-5) and then, optionally, the 0-10 recommendation
score. Twilio fetches the TwiML below; every request is signed (``signed_form``) and carries
the conversation's survey token, so a request for another conversation is refused."""

from __future__ import annotations

import functools
import re
from urllib.parse import urlencode

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import Response
from twilio.twiml.voice_response import Gather, VoiceResponse

from hybridcx.channels.base import DeliveryError
from hybridcx.channels.deps import ChannelDeps
from hybridcx.channels.twilio.client import call_twilio, twilio_client
from hybridcx.channels.twilio.webhooks import signed_form, twiml
from hybridcx.conversations import repository as repo
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import NotFound
from hybridcx.kit.events import DeliveryOutcome
from hybridcx.kit.ids import utcnow
from hybridcx.kit.time import iso
from hybridcx.models import Conversation
from hybridcx.surveys.service import (
    conversation_of_token,
    has_survey,
    open_for_answers,
    record_answer,
    token_for,
)

log = structlog.get_logger(__name__)

router = APIRouter(tags=["channels"])
BASE = "/channels/voice/twilio/survey"

GREETING = (
    "Hello, this is a short survey about your recent conversation with us. "
    "How did we do, from 1 for poor to 5 for excellent? Press or say a number."
)
NPS_QUESTION = (
    "Thank you. And how likely are you to recommend us to a friend, from 0 to 10? "
    "Press the number and then the pound key, or say it. You can also just hang up."
)
AGAIN = "Sorry, I did not get that. Please press or say a number from 1 to 5."
THANKS = "Thank you for your feedback. Goodbye."
NO_ANSWER = "We did not get an answer. Thank you, goodbye."

_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}


def spoken_number(digits: str, speech: str, *, low: int, high: int) -> int | None:
    """A keyed or spoken number within [low, high] ("4", "four", "a four", "10"), or None."""
    text = (digits or "").strip() or (speech or "").strip().lower()
    found = re.findall(r"\d+|[a-z]+", text)
    numbers = [int(t) if t.isdigit() else _WORDS.get(t) for t in found]
    values = [n for n in numbers if n is not None]
    if len(values) != 1 or not low <= values[0] <= high:
        return None
    return values[0]


def _url(path: str, token: str, **extra: str | int) -> str:
    return f"{BASE}{path}?{urlencode({'t': token, **{k: str(v) for k, v in extra.items()}})}"


def _language(rt: ChannelDeps) -> str:
    return rt.settings.voice_language


def _ask(rt: ChannelDeps, response: VoiceResponse, text: str, action: str, *, two: bool) -> None:
    language = _language(rt)
    gather = Gather(
        input="dtmf speech",
        action=action,
        method="POST",
        speech_timeout="auto",
        timeout=6,
        language=language,
        finish_on_key="#",
        num_digits=2 if two else 1,
        hints="zero, one, two, three, four, five, six, seven, eight, nine, ten",
    )
    gather.say(text, language=language)
    response.append(gather)


async def call_for_survey(rt: ChannelDeps, conv: Conversation, message_id: str, base: str) -> None:
    """Place the survey call; the outcome is recorded on the survey message."""
    meta = conv.channel_meta or {}
    to, sender = meta.get("customer_number"), meta.get("our_number")
    async with rt.sessions() as session:
        token = token_for(session, conv.id)
    try:
        if not to or not sender:
            raise DeliveryError("This call has no customer or sender number to call back.")
        client = twilio_client(rt)
        call = await call_twilio(
            functools.partial(
                client.calls.create,
                to=to,
                from_=sender,
                url=base + _url("", token),
                method="POST",
            )
        )
        delivery = {"status": "sent", "at": iso(utcnow()), "call_sid": call.sid, "to": to}
    except Exception as exc:  # the provider's failure is data, as for any delivery
        delivery = {"status": "failed", "at": iso(utcnow()), "error": str(exc)[:500]}
        log.warning("survey.call_failed", conversation_id=conv.id, error=str(exc))
    await rt.events.dispatch(rt, DeliveryOutcome(conv, message_id, delivery))


async def _open(rt: ChannelDeps, token: str) -> tuple[str | None, str]:
    """(why the survey takes no answer or None, conversation id) for a token; 404 if forged."""
    async with rt.sessions() as session:
        conv_id = conversation_of_token(session, token)
        conv = await repo.get_conversation(session, conv_id) if conv_id else None
        if conv is None or conv.channel != "voice":
            raise NotFound("No such survey.")
        why = open_for_answers(conv)
        if why is None and await has_survey(session, conv.id):
            why = "answered"
    return why, conv.id


@router.post(BASE, response_class=Response)
async def survey_call(request: Request, t: str = "") -> Response:
    """The survey call was answered: ask for the 1-5 rating."""
    rt: ChannelDeps = request.app.state.runtime
    await signed_form(request, rt)
    why, _ = await _open(rt, t)
    response = VoiceResponse()
    if why is not None:
        response.say(THANKS, language=_language(rt))
        response.hangup()
        return twiml(str(response))
    _ask(rt, response, GREETING, _url("/rating", t), two=False)
    response.say(NO_ANSWER, language=_language(rt))
    response.hangup()
    return twiml(str(response))


@router.post(f"{BASE}/rating", response_class=Response)
async def survey_rating(request: Request, t: str = "", tries: int = 0) -> Response:
    """The rating, keyed or spoken; then the optional 0-10 question."""
    rt: ChannelDeps = request.app.state.runtime
    form = await signed_form(request, rt)
    await _open(rt, t)
    rating = spoken_number(form.get("Digits", ""), form.get("SpeechResult", ""), low=1, high=5)
    response = VoiceResponse()
    if rating is None:
        if tries >= 1:
            response.say(NO_ANSWER, language=_language(rt))
            response.hangup()
        else:
            _ask(rt, response, AGAIN, _url("/rating", t, tries=tries + 1), two=False)
            response.say(NO_ANSWER, language=_language(rt))
            response.hangup()
        return twiml(str(response))
    _ask(rt, response, NPS_QUESTION, _url("/answer", t, rating=rating), two=True)
    # No answer to the optional question: the rating is kept all the same.
    response.redirect(_url("/answer", t, rating=rating), method="POST")
    return twiml(str(response))


@router.post(f"{BASE}/answer", response_class=Response)
async def survey_answer(request: Request, t: str = "", rating: int = 0) -> Response:
    """Record the answer (rating, and the 0-10 score when given) and say goodbye."""
    rt: ChannelDeps = request.app.state.runtime
    form = await signed_form(request, rt)
    if not 1 <= rating <= 5:
        raise NotFound("No such survey answer.")
    nps = spoken_number(form.get("Digits", ""), form.get("SpeechResult", ""), low=0, high=10)
    async with transaction(rt.sessions) as session:
        conv_id = conversation_of_token(session, t)
        conv = await repo.get_conversation(session, conv_id, lock=True) if conv_id else None
        if conv is None or conv.channel != "voice":
            raise NotFound("No such survey.")
        if open_for_answers(conv) is None and not await has_survey(session, conv.id):
            record_answer(session, conv, rating=rating, nps=nps, via="voice")
            log.info("survey.answered", channel="voice", conversation_id=conv.id)
    response = VoiceResponse()
    response.say(THANKS, language=_language(rt))
    response.hangup()
    return twiml(str(response))
