"""SMS over Twilio: the inbound webhook (TwiML answers), carrier keywords (STOP/START/HELP),
splitting long replies, and outbound agent replies through the REST API."""

from __future__ import annotations

import functools
import re
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import Response
from twilio.twiml.messaging_response import MessagingResponse

from hybridcx.channels.base import Capabilities, DeliveryError, degrade, register_adapter
from hybridcx.channels.deps import ChannelDeps
from hybridcx.channels.ingest import ingest_inbound
from hybridcx.channels.twilio.client import call_twilio, twilio_client
from hybridcx.channels.twilio.webhooks import public_base, signed_form, twiml
from hybridcx.conversations import repository as repo
from hybridcx.customers.repository import find_or_create_contact
from hybridcx.customers.repository import to_e164 as normalize_phone
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import InvalidInput
from hybridcx.kit.ids import utcnow
from hybridcx.kit.time import iso
from hybridcx.models import Conversation
from hybridcx.surveys.service import answer_sms

log = structlog.get_logger(__name__)

router = APIRouter(tags=["channels"])

# Twilio sends at most 1,600 characters in one message (it concatenates the segments).
SMS_CAPABILITIES = Capabilities(
    buttons=False, attachments=False, max_length=1600, markup="text", status_messages=True
)
# Our parts are shorter than that: at most this many segments each, cut at sentence ends.
MAX_SEGMENTS_PER_PART = 3

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_WORDS = frozenset({"HELP", "INFO"})

STOP_CONFIRMATION = (
    "You have been unsubscribed and will not receive any more messages from us. "
    "Reply START to resubscribe."
)
START_CONFIRMATION = (
    "You have been resubscribed. How can we help? Reply HELP for help, STOP to stop."
)
HELP_TEXT = (
    "Customer service: text your question and our AI assistant answers; text AGENT for a person. "
    "Msg&data rates may apply. Reply STOP to unsubscribe."
)

# GSM 03.38 basic character set and its extension table (the extension costs two septets).
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")


def keyword(text: str) -> str:
    """The message as a carrier keyword (a single word, any case, trailing punctuation ignored)."""
    return re.sub(r"[\s.!]+$", "", text.strip()).upper()


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text)


def sms_units(text: str) -> int:
    """Septets (GSM-7) or UTF-16 code units (UCS-2) the text takes on the air."""
    if is_gsm7(text):
        return sum(2 if c in GSM7_EXTENDED else 1 for c in text)
    return len(text.encode("utf-16-le")) // 2


def segments(text: str) -> int:
    """How many SMS segments a message takes (what the customer's carrier bills)."""
    units, gsm = sms_units(text), is_gsm7(text)
    single, multi = (160, 153) if gsm else (70, 67)
    return 1 if units <= single else -(-units // multi)


def split_sms(text: str, max_segments: int = MAX_SEGMENTS_PER_PART) -> list[str]:
    """Cut a long reply into messages of at most ``max_segments`` segments each, at paragraph
    ends first, then sentence ends, then between words; a part never ends mid-word unless a
    single word is longer than a part."""
    text = text.strip()
    if not text:
        return []
    gsm = is_gsm7(text)
    limit = (153 if gsm else 67) * max_segments if max_segments > 1 else (160 if gsm else 70)
    if sms_units(text) <= limit:
        return [text]
    pieces = _pieces(text)
    parts: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}{piece}" if current else piece.lstrip()
        if sms_units(candidate.strip()) <= limit:
            current = candidate
            continue
        if current.strip():
            parts.append(current.strip())
        current = piece.lstrip()
        while sms_units(current) > limit:  # one sentence longer than a part: cut at words
            head, current = _cut_words(current, limit)
            parts.append(head)
    if current.strip():
        parts.append(current.strip())
    return parts


def _pieces(text: str) -> list[str]:
    """Sentences (with the whitespace before them), paragraph breaks kept."""
    return [p for p in re.split(r"(?<=[.!?])(?=\s)|(?=\n\n)", text) if p]


def _cut_words(text: str, limit: int) -> tuple[str, str]:
    words = text.split(" ")
    head = ""
    for i, word in enumerate(words):
        candidate = f"{head} {word}" if head else word
        if sms_units(candidate) > limit:
            if not head:  # a single word longer than a part
                return word[:limit], " ".join([word[limit:], *words[i + 1 :]]).strip()
            return head, " ".join(words[i:]).strip()
        head = candidate
    return head, ""


def absolute_links(text: str, base: str | None) -> str:
    """Site-relative links in answers ("(/help/articles/…)") as full URLs a phone can open."""
    if not base:
        return text
    return re.sub(r"\((/[^\s)]*)\)", lambda m: f"({base.rstrip('/')}{m.group(1)})", text)


def reply_parts(message: dict[str, Any], base_url: str | None = None) -> list[str]:
    """One stored reply as the SMS messages to send: quick replies numbered, site links made
    absolute, then split."""
    text = degrade(message["text"], message.get("buttons") or [], SMS_CAPABILITIES)
    return split_sms(absolute_links(text, base_url))


# ---- opt-out (consent kept on the customer record) ----------------------------------------


def opted_out(consents: dict[str, Any] | None) -> bool:
    return bool(((consents or {}).get("sms") or {}).get("opted_out"))


async def set_opt_out(
    rt: ChannelDeps, phone: str, *, out: bool, word: str, inbox_key: str | None = None
) -> bool:
    """Record STOP (out=True) or START for the customer with this number. Returns True when it
    changed something, so the confirmation is sent once, not on every repeat."""
    async with transaction(rt.sessions) as session:
        from hybridcx.workspaces.repository import find_channel_inbox

        inbox = await find_channel_inbox(session, "sms", inbox_key)
        if inbox is None:
            return False
        customer, _ = await find_or_create_contact(
            session, inbox.workspace_id, email=None, phone=phone
        )
        if opted_out(customer.consents) == out:
            return False
        customer.consents = {
            **(customer.consents or {}),
            "sms": {"opted_out": out, "keyword": word, "at": iso(utcnow())},
        }
    log.info("sms.opt_out" if out else "sms.opt_in", customer_id=customer.id)
    return True


async def is_opted_out(rt: ChannelDeps, phone: str, inbox_key: str | None = None) -> bool:
    from hybridcx.customers.repository import find_customer_by_phone
    from hybridcx.workspaces.repository import find_channel_inbox

    async with rt.sessions() as session:
        inbox = await find_channel_inbox(session, "sms", inbox_key)
        if inbox is None:
            return False
        customer = await find_customer_by_phone(session, inbox.workspace_id, phone)
        return customer is not None and opted_out(customer.consents)


# ---- inbound webhook ----------------------------------------------------------------------


def _messages(texts: list[str]) -> Response:
    response = MessagingResponse()
    for text in texts:
        response.message(text)
    return twiml(str(response))


@router.post("/channels/sms/twilio", response_class=Response)
async def twilio_sms_webhook(request: Request, inbox: str | None = None) -> Response:
    """Twilio's incoming-message webhook. Answers TwiML with the AI's reply (or nothing).

    Point a number's "A message comes in" webhook here (HTTP POST). ``?inbox=<key>`` picks an
    inbox other than the default workspace's SMS inbox."""
    rt: ChannelDeps = request.app.state.runtime
    form = await signed_form(request, rt)
    sender = normalize_phone(form.get("From", ""))
    sid = form.get("MessageSid") or form.get("SmsSid")
    if not sender or not sid:
        raise InvalidInput("A Twilio SMS webhook needs From (a phone number) and MessageSid.")
    body = form.get("Body", "")
    word = keyword(body)
    if word in STOP_WORDS:
        changed = await set_opt_out(rt, sender, out=True, word=word, inbox_key=inbox)
        return _messages([STOP_CONFIRMATION] if changed else [])
    if word in START_WORDS and await is_opted_out(rt, sender, inbox):
        await set_opt_out(rt, sender, out=False, word=word, inbox_key=inbox)
        return _messages([START_CONFIRMATION])
    if word in HELP_WORDS:
        return _messages([HELP_TEXT])
    thanks = await answer_sms(rt, sender, body, inbox)  # CSAT by SMS ("4", "5 9")
    if thanks is not None:
        return _messages([thanks])
    quiet = await is_opted_out(rt, sender, inbox)
    media = [
        form[f"MediaUrl{i}"] for i in range(_int(form.get("NumMedia"))) if f"MediaUrl{i}" in form
    ]
    text = body if body.strip() else ("[picture or file]" if media else "")
    if not text.strip():
        return _messages([])
    meta: dict[str, Any] = {
        "message_sid": sid,
        "from": sender,
        "to": form.get("To"),
        "account_sid": form.get("AccountSid"),
    }
    if media:
        meta["media"] = media
    if quiet:
        meta["opted_out"] = True
    result = await ingest_inbound(
        rt,
        channel="sms",
        inbox_key=inbox,
        phone=sender,
        text=text,
        external_id=sid,
        thread_key=sender,
        meta=meta,
        conversation_meta={"customer_number": sender, "our_number": form.get("To")},
        answer=not quiet,  # opted out: kept for the team, nothing sent back until START
    )
    if result.duplicate or quiet:
        return _messages([])
    base = public_base(request, rt.settings.public_url)
    return _messages([part for m in result.ai_messages for part in reply_parts(m, base)])


def _int(value: str | None) -> int:
    try:
        return max(0, min(int(value or 0), 10))
    except ValueError:
        return 0


# ---- outbound -----------------------------------------------------------------------------


class TwilioSmsAdapter:
    """Agent replies (and other messages written outside a webhook) as SMS via the REST API."""

    channel = "sms"
    capabilities = SMS_CAPABILITIES

    async def send(
        self, rt: ChannelDeps, conversation: Conversation, message: dict[str, Any]
    ) -> dict[str, Any]:
        meta = conversation.channel_meta or {}
        to = meta.get("customer_number")
        settings = rt.settings
        sender = meta.get("our_number") or settings.twilio_sms_from
        if not to or not sender:
            raise DeliveryError("This conversation has no customer or sender number to text.")
        async with rt.sessions() as session:
            customer = await repo.get_customer(session, conversation.customer_id)
        if opted_out(customer.consents):
            raise DeliveryError("The customer replied STOP; nothing is sent until they text START.")
        client = twilio_client(rt)
        sids: list[str] = []
        for part in reply_parts(message, settings.public_url):
            kwargs: dict[str, Any] = {"to": to, "body": part}
            if str(sender).startswith("MG"):
                kwargs["messaging_service_sid"] = sender
            else:
                kwargs["from_"] = sender
            sent = await call_twilio(functools.partial(client.messages.create, **kwargs))
            sids.append(sent.sid)
        return {"message_sids": sids, "to": to}


register_adapter("sms", lambda rt: TwilioSmsAdapter())
