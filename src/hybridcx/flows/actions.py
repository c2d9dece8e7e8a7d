"""The Python side of the flows: backend calls, validation and what the AI says."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from hybridcx.flows.backend import Order, SlotTaken
from hybridcx.flows.engine import Action, ActionContext, ActionResult

#: The one-click actions an agent can run on a conversation (agent assist's next-best actions,
#: offered per intent by the workspace policy's ``next_best_actions``), with their labels.
AGENT_ACTIONS: dict[str, str] = {
    "send_password_reset": "Send a password reset link",
    "lookup_orders": "Look up the customer's orders",
    "lookup_account": "Look up the customer's account",
    "offer_appointment_slots": "Offer free appointment slots",
    "lookup_appointments": "Look up the customer's appointments",
}


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"


#: How an order status reads in a sentence ("Order 1000 is on hold (payment failed)").
_STATUS_WORDS = {"payment_failed": "on hold (payment failed)"}


def status_words(status: str) -> str:
    return _STATUS_WORDS.get(status, status.replace("_", " "))


def describe_order(order: Order) -> str:
    if order.status == "payment_failed":  # the demo's failed payments
        return f"Order {order.number} is on hold: its payment failed, so it has not shipped yet."
    text = f"Order {order.number} is {order.status}"
    if order.status == "shipped" and order.carrier:
        text += f" with {order.carrier}"
        if order.tracking_number:
            text += f" (tracking number {order.tracking_number})"
    if order.expected_delivery and order.status in ("processing", "shipped"):
        text += f". Expected delivery: {order.expected_delivery:%A %d %B}"
    elif order.status == "delivered" and order.expected_delivery:
        text += f"; it was delivered on {order.expected_delivery:%A %d %B}"
    return text + "."


def slot_label(starts_at: datetime, location: str) -> str:
    return f"{starts_at:%a %d %b %H:%M} at {location}"


# ---- order tracking --------------------------------------------------------------------------


async def find_customer_order(ctx: ActionContext) -> ActionResult:
    """A verified customer with one recent order needs no order number."""
    if ctx.slots.get("order_number") or not ctx.turn.verified:
        return ActionResult()
    orders = await ctx.backend.orders_for(ctx.turn.email)
    open_orders = [o for o in orders if o.status in ("processing", "shipped")]
    if len(open_orders) == 1:
        ctx.slots["order_number"] = open_orders[0].number
    return ActionResult()


async def check_order_owner(ctx: ActionContext) -> ActionResult:
    """The order number is a second factor: it must belong to the email of this chat."""
    number = re.sub(r"\D", "", str(ctx.value))
    found = await ctx.backend.order(number) if number else None
    if found is None or found[1].lower() != ctx.turn.email.lower():
        return ActionResult(
            ok=False,
            say=[
                f"I couldn't find order {number or ctx.value} for {ctx.turn.email}. Could you check the number?"
            ],
        )
    return ActionResult(value=number)


async def report_order(ctx: ActionContext) -> ActionResult:
    found = await ctx.backend.order(str(ctx.slots["order_number"]))
    if found is None or found[1].lower() != ctx.turn.email.lower():
        return ActionResult(fail=True, say=["I couldn't find that order any more."])
    return ActionResult(
        say=[describe_order(found[0]) + " Is there anything else I can help with?"], end=True
    )


# ---- account status --------------------------------------------------------------------------


async def require_verification(ctx: ActionContext) -> ActionResult:
    """Account details only for verified customers, or after a one-time code by email."""
    if ctx.turn.verified:
        ctx.slots["verified"] = True
        return ActionResult()
    if not await ctx.backend.send_verification_code(ctx.turn.email):
        return ActionResult(
            fail=True,
            say=[
                f"I couldn't find an account for {ctx.turn.email}, so I can't share account details."
            ],
        )
    ctx.slots["masked_email"] = mask_email(ctx.turn.email)
    return ActionResult()


async def check_code(ctx: ActionContext) -> ActionResult:
    code = re.sub(r"\D", "", str(ctx.value))
    if await ctx.backend.check_verification_code(ctx.turn.email, code):
        ctx.slots["verified"] = True
        ctx.turn.verified_by_code = True
        return ActionResult(value=code, say=["Thanks, you're verified."])
    return ActionResult(
        ok=False, say=["That code doesn't match. Please check the email and try again."]
    )


async def report_account(ctx: ActionContext) -> ActionResult:
    account = await ctx.backend.account_for(ctx.turn.email)
    if account is None:
        return ActionResult(fail=True, say=["I couldn't find an account for you."])
    balance = f"{account.balance:.2f}"
    return ActionResult(
        end=True,
        say=[
            f"Your account {account.account_number} is {account.status}, on the {account.plan} plan, "
            f"with a balance of ${balance}."
        ],
    )


# ---- password reset --------------------------------------------------------------------------


async def prepare_password_reset(ctx: ActionContext) -> ActionResult:
    ctx.slots["masked_email"] = mask_email(ctx.turn.email)
    return ActionResult()


async def send_password_reset(ctx: ActionContext) -> ActionResult:
    # Never ask for, store or echo a password: the link goes to the email on file only.
    if not await ctx.backend.send_password_reset(ctx.turn.email):
        return ActionResult(fail=True, say=[f"I couldn't find an account for {ctx.turn.email}."])
    return ActionResult(
        end=True,
        say=[
            f"Done: a reset link is on its way to {mask_email(ctx.turn.email)}. It works for 30 minutes. "
            "Nobody from our team will ever ask you for your password."
        ],
    )


# ---- appointments ----------------------------------------------------------------------------


async def offer_slots(ctx: ActionContext) -> ActionResult:
    slots = await ctx.backend.free_slots(after=ctx.turn.now, limit=4)
    if not slots:
        return ActionResult(
            fail=True, say=["I'm sorry, there are no free appointments in the next week."]
        )
    ctx.slots["options"] = [
        {"id": s.id, "label": slot_label(s.starts_at, s.location)} for s in slots
    ]
    ctx.slots["option_labels"] = [o["label"] for o in ctx.slots["options"]]
    ctx.slots["options_text"] = "; ".join(
        f"{i}) {o['label']}" for i, o in enumerate(ctx.slots["options"], 1)
    )
    return ActionResult()


def _pick(options: list[dict[str, Any]], text: str) -> dict[str, Any] | None:
    norm = text.strip().lower()
    digits = re.fullmatch(r"(?:option|number|#)?\s*(\d)\W*", norm)
    if digits and 1 <= int(digits.group(1)) <= len(options):
        return options[int(digits.group(1)) - 1]
    ordinals = ["first", "second", "third", "fourth"]
    for i, word in enumerate(ordinals[: len(options)]):
        if re.search(rf"\b{word}\b", norm):
            return options[i]
    for option in options:
        if norm and (norm in option["label"].lower() or option["label"].lower() in norm):
            return option
    return None


async def pick_slot(ctx: ActionContext) -> ActionResult:
    options = list(ctx.slots.get("options") or [])
    chosen = _pick(options, str(ctx.value))
    if chosen is None:
        return ActionResult(
            ok=False, say=[f"Please pick one of these: {ctx.slots.get('options_text', '')}"]
        )
    ctx.slots["slot_label"] = chosen["label"]
    return ActionResult(value=chosen["id"])


async def _slot_gone(ctx: ActionContext) -> ActionResult:
    """Someone was quicker: offer what is free now and ask again."""
    taken = ctx.slots.get("slot_label", "that time")
    ctx.slots.pop("slot", None)
    ctx.slots.pop("confirmed", None)
    await offer_slots(ctx)
    return ActionResult(goto="slot", say=[f"Sorry, {taken} was just taken."])


async def book_slot(ctx: ActionContext) -> ActionResult:
    try:
        slot = await ctx.backend.book(str(ctx.slots["slot"]), ctx.turn.email)
    except SlotTaken:
        return await _slot_gone(ctx)
    return ActionResult(
        end=True,
        say=[f"You're booked for {slot_label(slot.starts_at, slot.location)}. See you then!"],
    )


async def find_appointment(ctx: ActionContext) -> ActionResult:
    booked = await ctx.backend.appointments_for(ctx.turn.email, after=ctx.turn.now)
    if not booked:
        return ActionResult(
            fail=True, say=[f"I can't find an upcoming appointment for {ctx.turn.email}."]
        )
    current = booked[0]
    ctx.slots["current_id"] = current.id
    ctx.slots["current_label"] = slot_label(current.starts_at, current.location)
    return ActionResult()


async def cancel_appointment(ctx: ActionContext) -> ActionResult:
    await ctx.backend.cancel(str(ctx.slots["current_id"]), ctx.turn.email)
    return ActionResult(
        end=True, say=[f"Your appointment on {ctx.slots['current_label']} is cancelled."]
    )


async def move_appointment(ctx: ActionContext) -> ActionResult:
    try:
        slot = await ctx.backend.book(str(ctx.slots["slot"]), ctx.turn.email)
    except SlotTaken:
        return await _slot_gone(ctx)
    await ctx.backend.cancel(str(ctx.slots["current_id"]), ctx.turn.email)
    return ActionResult(
        end=True,
        say=[f"Done: your appointment moved to {slot_label(slot.starts_at, slot.location)}."],
    )


NO_EMAIL = (
    "I can only do that for a customer whose email address we have, and I don't have one for "
    "this number. A person from our team can help."
)


def _email_required(action: Action) -> Action:
    """Channels such as SMS and phone may know a customer only by phone number: the flows that
    identify a customer by email fail plainly instead of naming an empty address."""

    async def guarded(ctx: ActionContext) -> ActionResult:
        if not ctx.turn.email:
            return ActionResult(fail=True, say=[NO_EMAIL])
        return await action(ctx)

    return guarded


# ---- cancel an order and refund it (a consequential action) ---------------------------------


async def quote_refund(ctx: ActionContext) -> ActionResult:
    found = await ctx.backend.order(str(ctx.slots["order_number"]))
    if found is None or found[1].lower() != ctx.turn.email.lower():
        return ActionResult(fail=True, say=["I couldn't find that order any more."])
    order = found[0]
    if order.status not in ("processing", "shipped"):
        return ActionResult(
            fail=True,
            say=[
                f"Order {order.number} is {status_words(order.status)}, so I can't cancel it here."
            ],
        )
    ctx.slots["refund_amount"] = f"{order.total:.2f}"
    return ActionResult()


async def cancel_and_refund(ctx: ActionContext) -> ActionResult:
    from hybridcx.flows.consequential import request

    number = str(ctx.slots["order_number"])
    amount = float(ctx.slots["refund_amount"])
    params = {"order_number": number, "email": ctx.turn.email.lower(), "amount": amount}
    summary = f"cancel order {number} and refund ${amount:.2f}"
    return await request(ctx, "cancel_and_refund", params, amount=amount, summary=summary)


# ---- refund status (a lookup) ----------------------------------------------------------------

REFUNDED = ("cancelled", "returned", "refunded")


async def report_refund(ctx: ActionContext) -> ActionResult:
    found = await ctx.backend.order(str(ctx.slots["order_number"]))
    if found is None or found[1].lower() != ctx.turn.email.lower():
        return ActionResult(fail=True, say=["I couldn't find that order any more."])
    order = found[0]
    if order.status in REFUNDED:
        text = (
            f"Order {order.number} was {status_words(order.status)} and refunded to your original payment "
            "method. Refunds reach your account 3-5 business days after they are issued."
        )
    elif order.status == "delivered":
        text = (
            f"There is no refund on order {order.number} yet: it was delivered and I don't see "
            "a return. Refunds are issued within 5 business days of a return reaching us."
        )
    else:
        text = (
            f"There is no refund on order {order.number}: it is {status_words(order.status)}. If you'd like "
            "to cancel it, just say so."
        )
    return ActionResult(say=[text + " Is there anything else I can help with?"], end=True)


# ---- damaged item claim: replacement or refund (consequential) --------------------------------

REMEDIES = {"replacement": "replacement", "refund": "refund"}


async def check_claimable(ctx: ActionContext) -> ActionResult:
    """Only an order that has left the warehouse can arrive damaged."""
    found = await ctx.backend.order(str(ctx.slots["order_number"]))
    if found is None or found[1].lower() != ctx.turn.email.lower():
        return ActionResult(fail=True, say=["I couldn't find that order any more."])
    order = found[0]
    if order.status not in ("shipped", "delivered"):
        return ActionResult(
            end=True,
            say=[
                f"Order {order.number} is {status_words(order.status)} and hasn't reached you yet. If it "
                "arrives damaged, tell me then and I'll sort it out."
            ],
        )
    ctx.slots["order_total"] = f"{order.total:.2f}"
    ctx.slots["remedy_options"] = ["Replacement", "Refund"]
    return ActionResult()


async def check_damage(ctx: ActionContext) -> ActionResult:
    text = " ".join(str(ctx.value).split())
    if len(text) < 3:
        return ActionResult(ok=False, say=["Please tell me briefly what is damaged."])
    return ActionResult(value=text[:500])


async def pick_remedy(ctx: ActionContext) -> ActionResult:
    text = str(ctx.value).strip().lower()
    for word, remedy in REMEDIES.items():
        if word in text or (remedy == "replacement" and ("replace" in text or "new one" in text)):
            ctx.slots["remedy_label"] = remedy
            return ActionResult(value=remedy)
    if text in ("1", "first"):
        ctx.slots["remedy_label"] = "replacement"
        return ActionResult(value="replacement")
    if text in ("2", "second", "money back"):
        ctx.slots["remedy_label"] = "refund"
        return ActionResult(value="refund")
    return ActionResult(ok=False, say=["Would you like a replacement or a refund?"])


async def settle_damage_claim(ctx: ActionContext) -> ActionResult:
    from hybridcx.flows.consequential import request

    number, amount = str(ctx.slots["order_number"]), float(ctx.slots["order_total"])
    remedy = str(ctx.slots["remedy"])
    params = {
        "order_number": number,
        "email": ctx.turn.email.lower(),
        "amount": amount,
        "damage": str(ctx.slots.get("damage", "")),
    }
    if remedy == "replacement":
        summary = f"send a replacement for damaged order {number} (value ${amount:.2f})"
        return await request(ctx, "replace_damaged", params, amount=amount, summary=summary)
    summary = f"refund ${amount:.2f} for damaged order {number}"
    return await request(ctx, "refund_damaged", params, amount=amount, summary=summary)


# ---- change a contact detail on the account (a consequential action) -------------------------

CONTACT_DETAILS = {"phone number": "phone", "name": "name"}
_PHONE = re.compile(r"^\+?[\d\s().-]{7,20}$")


async def offer_details(ctx: ActionContext) -> ActionResult:
    ctx.slots["detail_options"] = [label.capitalize() for label in CONTACT_DETAILS]
    return ActionResult()


async def pick_detail(ctx: ActionContext) -> ActionResult:
    text = str(ctx.value).strip().lower()
    for label, field in CONTACT_DETAILS.items():
        if label in text or field in text:
            ctx.slots["detail_label"] = label
            return ActionResult(value=field)
    return ActionResult(
        ok=False, say=["I can change your phone number or your name here. Which one?"]
    )


async def check_new_value(ctx: ActionContext) -> ActionResult:
    value = " ".join(str(ctx.value).split())
    if ctx.slots.get("detail") == "phone":
        if not _PHONE.match(value) or not 7 <= sum(c.isdigit() for c in value) <= 15:
            return ActionResult(ok=False, say=["That doesn't look like a phone number."])
    elif not (1 <= len(value) <= 200) or not any(c.isalpha() for c in value):
        return ActionResult(ok=False, say=["That doesn't look like a name."])
    return ActionResult(value=value)


async def change_contact_detail(ctx: ActionContext) -> ActionResult:
    from hybridcx.flows.consequential import request

    field, value = str(ctx.slots["detail"]), str(ctx.slots["new_value"])
    params = {"email": ctx.turn.email.lower(), "field": field, "value": value}
    summary = f"change the {ctx.slots.get('detail_label', field)} on your account to {value}"
    return await request(ctx, "change_contact_detail", params, amount=None, summary=summary)


ACTIONS: dict[str, Action] = {
    "report_refund": report_refund,
    "check_claimable": check_claimable,
    "check_damage": check_damage,
    "pick_remedy": pick_remedy,
    "settle_damage_claim": settle_damage_claim,
    "offer_details": offer_details,
    "pick_detail": pick_detail,
    "check_new_value": check_new_value,
    "change_contact_detail": change_contact_detail,
    "quote_refund": quote_refund,
    "cancel_and_refund": cancel_and_refund,
    "find_customer_order": find_customer_order,
    "check_order_owner": _email_required(check_order_owner),
    "report_order": report_order,
    "require_verification": _email_required(require_verification),
    "check_code": check_code,
    "report_account": report_account,
    "prepare_password_reset": _email_required(prepare_password_reset),
    "send_password_reset": send_password_reset,
    "offer_slots": offer_slots,
    "pick_slot": pick_slot,
    "book_slot": _email_required(book_slot),
    "find_appointment": _email_required(find_appointment),
    "cancel_appointment": cancel_appointment,
    "move_appointment": move_appointment,
}
