"""Extractive conversation summaries: a running one while people work, a final one on resolve."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from hybridcx.pipeline.base import TranscriptLine
from hybridcx.pipeline.steps.handoff import REASON_TEXT

INTENT_CATEGORY = {
    "order_status": "Orders",
    "cancel_order": "Orders",
    "change_delivery_address": "Orders",
    "damaged_item": "Orders",
    "refund_status": "Returns & refunds",
    "returns_policy": "Returns & refunds",
    "account_status": "Account",
    "password_reset": "Account",
    "update_contact_details": "Account",
    "book_appointment": "Appointments",
    "reschedule_appointment": "Appointments",
    "cancel_appointment": "Appointments",
    "complaint": "Complaints",
    "payment_methods": "Billing",
    "discount_codes": "Billing",
}


@dataclass(frozen=True)
class Summary:
    text: str
    category: str
    customer_points: list[str]
    agent_points: list[str]


def summarize_conversation(
    transcript: Sequence[TranscriptLine],
    *,
    customer_name: str,
    intent: str | None,
    reasons: Sequence[str],
    resolved: bool,
) -> Summary:
    """Who asked what, why a person got involved, what the team said, and how it ended."""
    said = [_sentence(line.text) for line in transcript if line.author == "customer"]
    answered = [_sentence(line.text) for line in transcript if line.author == "agent"]
    category = INTENT_CATEGORY.get(intent or "", "General")
    parts = [f"{customer_name or 'The customer'} contacted us about {category.lower()}."]
    if said:
        parts.append(f'Asked: "{said[0]}".')
    if len(said) > 1:
        parts.append(f'Latest: "{said[-1]}".')
    if reasons:
        parts.append("Escalated because " + "; ".join(REASON_TEXT.get(r, r) for r in reasons) + ".")
    if answered:
        parts.append(f'Our reply: "{answered[-1]}".')
    parts.append("Resolved." if resolved else "Open.")
    return Summary(" ".join(parts), category, said[:5], answered[-3:])


def _sentence(text: str, limit: int = 140) -> str:
    text = " ".join(text.split())
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return first if len(first) <= limit else first[: limit - 1] + "…"
