"""Self-service on the help centre: guided forms and proactive suggestions (public endpoints).

The forms call the same ``CompanyBackend`` actions as the chat flows (``free_slots``, ``book``,
``appointments_for``, ``cancel``, ``send_verification_code``, ``check_verification_code``,
``orders_for``), so a booking made here is the booking the chat and the desk see.

- ``GET  /api/v1/help/appointments/slots``: free appointment slots.
- ``POST /api/v1/help/appointments``: book one (email, name); a slot taken meanwhile is a 409
  with fresh slots.
- ``POST /api/v1/help/verification``: email a one-time code (the answer is the same whether or
  not the email is a customer's, so it tells strangers nothing).
- ``POST /api/v1/help/verification/check``: code -> a 30-minute self-service token.
- ``GET  /api/v1/help/appointments/mine`` (self-service token): upcoming appointments and free
  slots; ``POST .../mine/{id}/cancel`` and ``POST .../mine/{id}/move``.
- ``GET  /api/v1/help/contact`` and ``PUT /api/v1/help/contact`` (self-service token): the
  verified customer's name and phone number; the phone is checked with ``phonenumbers`` and
  stored in E.164 (``+14155550132``); an invalid one is a 422 that says what to fix.
- ``POST /api/v1/help/suggestions``: proactive suggestions ("Track your recent order #1001").

Who may see an order number: only a *verified* identity, because an email typed into a form is
only a claim. Verified means one of: a signed identity (``identity_hash``: the HMAC of the email
with the inbox secret, computed by the company's own site for its signed-in customer); a chat
started with such a signed identity (its customer token); or a self-service token earned with a
one-time code sent to the email. For a merely claimed email the answer is the same empty list
whether or not that email has orders, so it does not leak that an email is a customer's or that
they have orders. The chat's order flow makes the same choice (an unverified chat must give the
order number itself as a second factor).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Annotated, Any

import phonenumbers
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from hybridcx.auth.deps import RuntimeDep
from hybridcx.conversations import repository as repo
from hybridcx.conversations.schemas import clean_text
from hybridcx.customers.repository import find_or_create_customer, get_by_email, normalize_email
from hybridcx.flows.actions import mask_email, slot_label
from hybridcx.flows.backend import Slot, SlotTaken
from hybridcx.integrations.outbound import enqueue_customer_push
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import InvalidInput, NotFound, Unauthorized
from hybridcx.kit.ids import hash_token, utcnow
from hybridcx.kit.security import verify_identity_hash
from hybridcx.kit.time import iso
from hybridcx.models import Inbox

router = APIRouter(prefix="/api/v1/help", tags=["self-service"])

SESSION_SECONDS = 30 * 60
SLOTS_SHOWN = 6
IN_TRANSIT = ("processing", "shipped")


# ---- shapes ----------------------------------------------------------------------------------


class _Public(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inbox: str | None = Field(default=None, max_length=64, description="Public inbox key.")


class BookingCreate(_Public):
    slot_id: str = Field(min_length=1, max_length=64, description="From the free slots.")
    email: EmailStr
    name: str = Field(default="", max_length=200)

    @field_validator("name")
    @classmethod
    def valid_name(cls, value: str) -> str:
        return clean_text(value).strip()


class CodeRequest(_Public):
    email: EmailStr


class CodeCheck(_Public):
    email: EmailStr
    code: str = Field(pattern=r"^\s*\d{6}\s*$", description="The 6-digit code from the email.")


class Move(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slot_id: str = Field(min_length=1, max_length=64)


class ContactUpdate(BaseModel):
    """Fields left out stay as they are; an empty phone removes the number."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    country: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z]{2}$",
        description="ISO country for a phone number written without +country code, e.g. US.",
    )

    @field_validator("name", "phone")
    @classmethod
    def valid_text(cls, value: str | None) -> str | None:
        return None if value is None else clean_text(value).strip()


def e164(raw: str, country: str | None) -> str:
    """The number in E.164, or InvalidInput with what to fix."""
    if not raw.startswith("+") and country is None:
        raise InvalidInput(
            "Enter the phone number with its country code, starting with +, e.g. +1 415 555 0132."
        )
    try:
        parsed = phonenumbers.parse(raw, country.upper() if country else None)
    except phonenumbers.NumberParseException:
        raise InvalidInput(
            "That is not a phone number we can read. Use digits with the country code, "
            "e.g. +1 415 555 0132."
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidInput(
            "That phone number is not valid: check the country code and the number of digits."
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class SuggestionsRequest(_Public):
    email: EmailStr | None = None
    identity_hash: str | None = Field(default=None, max_length=128)
    conversation_id: str | None = Field(default=None, max_length=64)
    customer_token: str | None = Field(default=None, max_length=256)
    session: str | None = Field(default=None, max_length=1024, description="Self-service token.")


def slot_read(slot: Slot) -> dict[str, Any]:
    return {
        "id": slot.id,
        "starts_at": iso(slot.starts_at),
        "location": slot.location,
        "label": slot_label(slot.starts_at, slot.location),
    }


# ---- helpers ---------------------------------------------------------------------------------


async def _inbox(runtime: RuntimeDep, key: str | None) -> Inbox:
    async with runtime.sessions() as session:
        found = await repo.find_inbox(session, key)
    if found is None:
        raise NotFound(f"Unknown inbox {key!r}." if key else "No default inbox is set up.")
    return found


def _sign(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), b"selfservice|" + payload, hashlib.sha256).hexdigest()


def issue_session(inbox: Inbox, email: str, *, now: float | None = None) -> str:
    """A stateless token: the email, the inbox and an expiry, signed with the inbox secret."""
    body = {
        "e": normalize_email(email),
        "k": inbox.key,
        "x": int((now or time.time()) + SESSION_SECONDS),
    }
    payload = base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode())
    return f"{payload.decode()}.{_sign(inbox.hmac_secret, payload)}"


async def read_session(runtime: RuntimeDep, token: str) -> tuple[Inbox, str]:
    """(inbox, email) of a valid self-service token; 401 otherwise."""
    payload, _, signature = token.strip().partition(".")
    try:
        body = json.loads(base64.urlsafe_b64decode(payload.encode()))
        email, key, expires = str(body["e"]), body["k"], int(body["x"])
    except (ValueError, KeyError, TypeError):
        raise Unauthorized(
            "This self-service session is not valid; verify your email again."
        ) from None
    async with runtime.sessions() as session:
        inbox = await repo.find_inbox(session, key)
    if inbox is None or not hmac.compare_digest(
        _sign(inbox.hmac_secret, payload.encode()).encode(), signature.encode()
    ):
        raise Unauthorized("This self-service session is not valid; verify your email again.")
    if expires < time.time():
        raise Unauthorized("Your self-service session has expired; verify your email again.")
    return inbox, email


async def session_principal(runtime: RuntimeDep, request: Request) -> tuple[Inbox, str]:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Verify your email first (POST /api/v1/help/verification).")
    return await read_session(runtime, token)


SelfService = Annotated[tuple[Inbox, str], Depends(session_principal)]


async def _free(runtime: RuntimeDep, workspace_id: str) -> list[dict[str, Any]]:
    async with runtime.sessions() as session:
        backend = runtime.backend_factory(session, workspace_id)
        return [slot_read(s) for s in await backend.free_slots(after=utcnow(), limit=SLOTS_SHOWN)]


def _taken(slots: list[dict[str, Any]]) -> JSONResponse:
    return JSONResponse(
        {
            "detail": "Sorry, that time was just taken. Please pick another one.",
            "code": "slot_taken",
            "slots": slots,
        },
        status_code=409,
    )


# ---- booking ---------------------------------------------------------------------------------


@router.get("/appointments/slots")
async def free_slots(
    runtime: RuntimeDep, inbox: Annotated[str | None, Query(max_length=64)] = None
) -> dict[str, Any]:
    """The next free store appointment slots, soonest first."""
    found = await _inbox(runtime, inbox)
    return {"slots": await _free(runtime, found.workspace_id)}


@router.post("/appointments", status_code=201, response_model=None)
async def book(body: BookingCreate, runtime: RuntimeDep) -> dict[str, Any] | JSONResponse:
    """Book a free slot for this email, as the chat's booking flow does."""
    inbox = await _inbox(runtime, body.inbox)
    try:
        async with transaction(runtime.sessions) as session:
            await find_or_create_customer(
                session, inbox.workspace_id, email=body.email, name=body.name
            )
            backend = runtime.backend_factory(session, inbox.workspace_id)
            slot = await backend.book(body.slot_id, body.email)
    except SlotTaken:
        return _taken(await _free(runtime, inbox.workspace_id))
    return {"appointment": slot_read(slot), "email": normalize_email(body.email)}


# ---- verification and the customer's own appointments ----------------------------------------


@router.post("/verification", status_code=202)
async def send_code(body: CodeRequest, runtime: RuntimeDep) -> dict[str, Any]:
    """Email a 6-digit code. The same answer for any email: it does not tell who is a customer."""
    inbox = await _inbox(runtime, body.inbox)
    async with transaction(runtime.sessions) as session:
        backend = runtime.backend_factory(session, inbox.workspace_id)
        await backend.send_verification_code(body.email)
    return {
        "sent_to": mask_email(normalize_email(body.email)),
        "detail": "If this email has an account with us, a 6-digit code is on its way. "
        "It is valid for 10 minutes.",
    }


@router.post("/verification/check")
async def check_code(body: CodeCheck, runtime: RuntimeDep) -> dict[str, Any]:
    """A right code (once, within 10 minutes) gives a 30-minute self-service token."""
    inbox = await _inbox(runtime, body.inbox)
    async with transaction(runtime.sessions) as session:
        backend = runtime.backend_factory(session, inbox.workspace_id)
        ok = await backend.check_verification_code(body.email, body.code.strip())
    if not ok:
        raise InvalidInput("That code is not right or has expired. Check it, or ask for a new one.")
    return {
        "session": issue_session(inbox, body.email),
        "expires_in": SESSION_SECONDS,
        "email": normalize_email(body.email),
    }


@router.get("/appointments/mine")
async def my_appointments(who: SelfService, runtime: RuntimeDep) -> dict[str, Any]:
    inbox, email = who
    async with runtime.sessions() as session:
        backend = runtime.backend_factory(session, inbox.workspace_id)
        booked = await backend.appointments_for(email, after=utcnow())
        free = await backend.free_slots(after=utcnow(), limit=SLOTS_SHOWN)
    return {
        "email": email,
        "appointments": [slot_read(s) for s in booked],
        "slots": [slot_read(s) for s in free],
    }


async def _owned(runtime: RuntimeDep, inbox: Inbox, email: str, slot_id: str) -> None:
    async with runtime.sessions() as session:
        backend = runtime.backend_factory(session, inbox.workspace_id)
        booked = await backend.appointments_for(email, after=utcnow())
    if slot_id not in {s.id for s in booked}:
        raise NotFound("You have no upcoming appointment with that id.")


@router.post("/appointments/mine/{slot_id}/cancel")
async def cancel_mine(slot_id: str, who: SelfService, runtime: RuntimeDep) -> dict[str, Any]:
    inbox, email = who
    await _owned(runtime, inbox, email, slot_id)
    async with transaction(runtime.sessions) as session:
        backend = runtime.backend_factory(session, inbox.workspace_id)
        if not await backend.cancel(slot_id, email):
            raise NotFound("You have no upcoming appointment with that id.")
    return {"cancelled": slot_id}


@router.post("/appointments/mine/{slot_id}/move", response_model=None)
async def move_mine(
    slot_id: str, body: Move, who: SelfService, runtime: RuntimeDep
) -> dict[str, Any] | JSONResponse:
    """Book the new time, then free the old one, in one transaction (as the chat flow does)."""
    inbox, email = who
    await _owned(runtime, inbox, email, slot_id)
    if body.slot_id == slot_id:
        raise InvalidInput("Pick a different time from your current one.")
    try:
        async with transaction(runtime.sessions) as session:
            backend = runtime.backend_factory(session, inbox.workspace_id)
            slot = await backend.book(body.slot_id, email)
            await backend.cancel(slot_id, email)
    except SlotTaken:
        return _taken(await _free(runtime, inbox.workspace_id))
    return {"appointment": slot_read(slot), "cancelled": slot_id}


# ---- the customer's contact details --------------------------------------------------------


def _contact_read(customer: Any) -> dict[str, Any]:
    return {"email": customer.email, "name": customer.name, "phone": customer.phone}


@router.get("/contact")
async def my_contact(who: SelfService, runtime: RuntimeDep) -> dict[str, Any]:
    inbox, email = who
    async with runtime.sessions() as session:
        customer = await get_by_email(session, inbox.workspace_id, email)
    if customer is None:
        raise NotFound("We have no customer record for this email.")
    return _contact_read(customer)


@router.put("/contact")
async def update_contact(
    body: ContactUpdate, who: SelfService, runtime: RuntimeDep
) -> dict[str, Any]:
    """Update the name and / or phone number of the verified email's customer record."""
    inbox, email = who
    if body.name is not None and not body.name:
        raise InvalidInput("Enter your name, or leave it as it is.")
    phone = e164(body.phone, body.country) if body.phone else body.phone
    async with transaction(runtime.sessions) as session:
        customer = await get_by_email(session, inbox.workspace_id, email)
        if customer is None:
            raise NotFound("We have no customer record for this email.")
        if body.name is not None:
            customer.name = body.name
        if phone is not None:
            customer.phone = phone or None
        await session.flush()
        changed = [f for f, v in (("name", body.name), ("phone", phone)) if v is not None]
        await enqueue_customer_push(session, inbox.workspace_id, customer.id, changed)
        return _contact_read(customer)


# ---- proactive suggestions -------------------------------------------------------------------


async def _verified_email(runtime: RuntimeDep, body: SuggestionsRequest) -> tuple[str, str] | None:
    """(workspace id, email) when the identity is verified; None for a merely claimed one."""
    if body.session:
        inbox, email = await read_session(runtime, body.session)
        return inbox.workspace_id, email
    if body.conversation_id and body.customer_token:
        async with runtime.sessions() as session:
            conv = await repo.get_conversation(session, body.conversation_id)
            if conv is None or not hmac.compare_digest(
                conv.customer_token_hash, hash_token(body.customer_token)
            ):
                raise Unauthorized("This token does not open this conversation.")
            if not conv.identity_verified:
                return None
            customer = await repo.get_customer(session, conv.customer_id)
            if not customer.email:  # known by phone only: self-service signs in by email
                return None
            return conv.workspace_id, customer.email
    if body.email and body.identity_hash:
        inbox = await _inbox(runtime, body.inbox)
        if not verify_identity_hash(inbox.hmac_secret, body.email, body.identity_hash):
            raise Unauthorized("identity_hash does not match this email for this inbox.")
        return inbox.workspace_id, normalize_email(body.email)
    return None


@router.post("/suggestions")
async def suggestions(body: SuggestionsRequest, runtime: RuntimeDep) -> dict[str, Any]:
    """Proactive suggestions for a verified customer: the most recent order still in transit.
    A claimed, unverified email gets the same empty answer whether or not it has orders."""
    verified = await _verified_email(runtime, body)
    if verified is None:
        return {"verified": False, "suggestions": []}
    workspace_id, email = verified
    async with runtime.sessions() as session:
        orders = await runtime.backend_factory(session, workspace_id).orders_for(email)
    moving = [o for o in orders if o.status in IN_TRANSIT]  # newest first
    items = [
        {
            "kind": "track_order",
            "order_number": o.number,
            "status": o.status,
            "label": f"Track your recent order #{o.number}",
            "message": f"Where is my order {o.number}?",
        }
        for o in moving[:1]
    ]
    return {"verified": True, "suggestions": items}
