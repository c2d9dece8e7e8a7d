"""The warm-handoff package a person receives when a conversation is queued."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hybridcx.pipeline.base import CustomerProfile, RoutingDecision, TranscriptLine

REASON_TEXT = {
    "customer_request": "the customer asked for a person",
    "vip": "VIP customer",
    "human_only": "the customer opted out of AI",
    "low_confidence": "the AI was not confident it understood",
    "negative_sentiment": "the customer seems upset",
    "repeated_failure": "the AI failed repeatedly",
    "complex": "complex request (several issues, long or repeated contact)",
    "human_intent": "a topic our team handles",
    "legal_compliance": "legal or compliance topic",
    "high_value": "high-value customer",
    "backend_unavailable": "the company's system did not answer (the AI could not look it up)",
    "flow_failed": "the AI's task flow could not finish with the customer's answers",
}


def build_handoff(
    customer: CustomerProfile,
    decision: RoutingDecision,
    transcript: Sequence[TranscriptLine],
    *,
    channel: str,
    said: tuple[str, int] | None = None,
) -> dict[str, Any]:
    """Reasons, signals, a short summary and the transcript, so nobody asks twice.

    ``transcript`` may be only the recent part of a long conversation; ``said`` is then the
    customer's first message and how many they sent in all."""
    return {
        "reasons": list(decision.reasons),
        "intent": decision.intent,
        "confidence": decision.confidence,
        "sentiment": decision.sentiment,
        "emotion": decision.emotion,
        "summary": summarize(customer, decision, transcript, channel=channel, said=said),
        "transcript": [{"author": line.author, "text": line.text} for line in transcript],
    }


def summarize(
    customer: CustomerProfile,
    decision: RoutingDecision,
    transcript: Sequence[TranscriptLine],
    *,
    channel: str,
    said: tuple[str, int] | None = None,
) -> str:
    contact = customer.email or customer.phone or "no contact details"
    who = customer.name or contact
    claimed = "email" if customer.email else "phone number"
    identity = "verified" if customer.verified else f"unverified (claimed {claimed})"
    flags = [f for f, on in (("VIP", customer.vip), ("human only", customer.human_only)) if on]
    flag_text = f" [{', '.join(flags)}]" if flags else ""
    lines = [line.text for line in transcript if line.author == "customer"]
    first, count = said if said is not None else (lines[0] if lines else "", len(lines))
    why = "; ".join(_reason_text(r, decision) for r in decision.reasons) or "routed to a person"
    parts = [f"{who} <{contact}>{flag_text}, {identity}, via {channel}.", f"Why: {why}."]
    if decision.intent:
        parts.append(f"Intent: {decision.intent}.")
    if lines:
        parts.append(f'First said: "{_clip(first)}".')
        if count > 1:
            parts.append(f'Last said: "{_clip(lines[-1])}" ({count} customer messages).')
    else:
        parts.append("The customer has not written yet.")
    return " ".join(parts)


def _reason_text(reason: str, decision: RoutingDecision) -> str:
    text = REASON_TEXT.get(reason, reason)
    if reason == "negative_sentiment" and decision.emotion:
        text = f"{text} ({decision.emotion})"
    return text


def _clip(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
