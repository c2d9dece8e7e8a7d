"""Consequential actions: what the AI does that moves money or changes an account.

Every such action goes through one gate (``request``): it refuses until the customer is verified
when the workspace's compliance policy says so, and above the policy's limits it is only
*requested* (held as a pending approval for a person, see hybridcx.approvals) instead of run.
``execute`` is the one place that actually runs one, for the flow and for an approver alike.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hybridcx.flows.backend import CompanyBackend
from hybridcx.flows.engine import ActionContext, ActionResult


@dataclass(frozen=True)
class Executed:
    ok: bool
    say: str
    result: dict[str, Any]


Runner = Callable[[CompanyBackend, Mapping[str, Any]], Awaitable[Executed]]


async def _cancel_and_refund(backend: CompanyBackend, params: Mapping[str, Any]) -> Executed:
    number, email, amount = (
        str(params["order_number"]),
        str(params["email"]),
        float(params["amount"]),
    )
    if not await backend.cancel_order(number, email):
        return Executed(False, f"Order {number} could not be cancelled any more.", {})
    reference = await backend.refund(number, email, amount)
    return Executed(
        True,
        f"Order {number} is cancelled and ${amount:.2f} is refunded (reference {reference}); "
        "it reaches your account in 3-5 business days.",
        {"refund_reference": reference, "amount": amount},
    )


async def _change_contact_detail(backend: CompanyBackend, params: Mapping[str, Any]) -> Executed:
    field, value = str(params["field"]), str(params["value"])
    if not await backend.update_contact(str(params["email"]), field, value):
        return Executed(False, "I couldn't find your account to update.", {})
    label = "phone number" if field == "phone" else field
    return Executed(True, f"The {label} on your account is now {value}.", {"field": field})


async def _refund_damaged(backend: CompanyBackend, params: Mapping[str, Any]) -> Executed:
    number, email, amount = (
        str(params["order_number"]),
        str(params["email"]),
        float(params["amount"]),
    )
    reference = await backend.refund(number, email, amount)
    return Executed(
        True,
        f"I've refunded ${amount:.2f} for order {number} (reference {reference}); it reaches "
        "your account in 3-5 business days. There's no need to send the damaged item back.",
        {"refund_reference": reference, "amount": amount},
    )


async def _replace_damaged(backend: CompanyBackend, params: Mapping[str, Any]) -> Executed:
    number, email = str(params["order_number"]), str(params["email"])
    reference = await backend.send_replacement(number, email)
    if not reference:
        return Executed(False, f"I couldn't arrange a replacement for order {number}.", {})
    return Executed(
        True,
        f"A replacement for order {number} is on its way (reference {reference}); you'll get "
        "the tracking details by email. There's no need to send the damaged item back.",
        {"replacement_reference": reference},
    )


RUNNERS: dict[str, Runner] = {
    "cancel_and_refund": _cancel_and_refund,
    "change_contact_detail": _change_contact_detail,
    "refund_damaged": _refund_damaged,
    "replace_damaged": _replace_damaged,
}
# Which approval limit applies to each action: a money amount, or every account change. A
# replacement is goods of the order's value, so it waits above the same limit as a refund.
KIND = {
    "cancel_and_refund": "refund",
    "change_contact_detail": "account_change",
    "refund_damaged": "refund",
    "replace_damaged": "refund",
}


async def execute(backend: CompanyBackend, action: str, params: Mapping[str, Any]) -> Executed:
    runner = RUNNERS.get(action)
    if runner is None:
        return Executed(False, "That action is not available.", {})
    return await runner(backend, params)


def needs_approval(action: str, amount: float | None, limits: Mapping[str, Any]) -> bool:
    if KIND.get(action) == "refund":
        limit = limits.get("refund_over")
        return limit is not None and (amount or 0.0) > float(limit)
    return bool(limits.get("account_changes", True))


def is_verified(ctx: ActionContext) -> bool:
    return bool(ctx.turn.verified or ctx.turn.verified_by_code or ctx.slots.get("verified"))


async def request(
    ctx: ActionContext, action: str, params: dict[str, Any], *, amount: float | None, summary: str
) -> ActionResult:
    """Run, hold for approval, or refuse a consequential action, as the policy says."""
    if action in ctx.turn.limits.get("verify_before_actions", ()) and not is_verified(ctx):
        ctx.turn.requests.append(
            {"action": action, "params": params, "amount": amount, "status": "refused_unverified"}
        )
        return ActionResult(
            fail=True,
            say=["I can't make changes to your account until you're verified, so I haven't."],
        )
    entry: dict[str, Any] = {
        "action": action,
        "params": params,
        "amount": amount,
        "summary": summary,
    }
    if needs_approval(action, amount, ctx.turn.limits):
        ctx.turn.requests.append({**entry, "status": "pending"})
        return ActionResult(
            end=True,
            say=[
                f"Your request ({summary}) is awaiting review by our team. "
                "I'll let you know here as soon as it's decided."
            ],
        )
    done = await execute(ctx.backend, action, params)
    ctx.turn.requests.append(
        {**entry, "status": "executed" if done.ok else "failed", "result": done.result}
    )
    return ActionResult(end=done.ok, fail=not done.ok, say=[done.say])
