"""A message that carries what the flow waits for is an answer, even when the model reads it
as another request ("My order number is 1001" reads as an order-status question)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from hybridcx.flows.backend import Order
from hybridcx.flows.memory_backend import MemoryBackend
from hybridcx.flows.spec import load_flows
from hybridcx.pipeline.base import CustomerProfile, TranscriptLine, TurnContext, TurnServices
from hybridcx.pipeline.factory import build_pipeline
from hybridcx.pipeline.policy import load_policy
from hybridcx.pipeline.steps.understand import Understanding

NOW = datetime(2026, 11, 27, 9, 0)
READINGS = {
    "has my refund been processed?": ("refund_status", 0.95),
    "my order number is 1001": ("order_status", 0.93),
    "where is order 1001?": ("order_status", 0.97),
    "what are your opening hours?": ("opening_hours", 0.96),
}


class FakeUnderstander:
    def understand(self, text: str, *, now: datetime | None = None) -> Understanding:
        intent, confidence = READINGS.get(text.lower(), ("greeting", 0.2))
        entities: dict[str, list[Any]] = {"order_number": ["1001"]} if "1001" in text else {}
        return Understanding(
            intent,
            confidence,
            out_of_scope=False,
            ranking=[(intent, confidence)],
            entities=entities,
        )


class NoKnowledge:
    async def article(self, slug: str) -> None:
        return None

    async def answer(self, query: str) -> None:
        return None


def run(text: str, ai_state: dict[str, Any] | None = None) -> TurnContext:
    backend = MemoryBackend()
    backend.orders["1001"] = (
        Order("1001", "shipped", "UPS", "1Z1", NOW.date() + timedelta(days=2), NOW),
        "alex@example.com",
    )
    pipeline = build_pipeline(load_policy(), understander=FakeUnderstander(), flows=load_flows())
    ctx = TurnContext(
        text=text,
        customer=CustomerProfile("c1", "Alex", "alex@example.com"),
        channel="webchat",
        status="bot",
        tier=1,
        transcript=[TranscriptLine("customer", text)],
        ai_state=dict(ai_state or {}),
        services=TurnServices(backend=backend, knowledge=NoKnowledge()),
        now=NOW,
    )
    asyncio.run(pipeline.arun(ctx))
    return ctx


def test_the_order_number_the_flow_asked_for_is_an_answer_not_a_new_request() -> None:
    first = run("Has my refund been processed?")
    assert first.ai_state["flow"]["flow"] == "refund_status"
    done = run("My order number is 1001", first.ai_state)
    text = "\n".join(r.text for r in done.replies)
    assert "no refund on order 1001" in text
    assert "back to where we were" not in text
    assert "flow" not in done.ai_state
    assert done.decision is not None and not done.decision.handoff
    assert done.served_intents == ["refund_status"]


def test_a_different_question_without_the_awaited_entity_is_still_a_digression() -> None:
    first = run("Has my refund been processed?")
    side = run("What are your opening hours?", first.ai_state)
    assert side.ai_state["flow"]["flow"] == "refund_status"  # back to the question it asked
