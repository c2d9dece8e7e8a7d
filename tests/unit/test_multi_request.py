"""Several requests in one message: served one after the other when the AI serves each part."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from hybridcx.flows.backend import Account, Order
from hybridcx.flows.memory_backend import MemoryBackend
from hybridcx.flows.spec import load_flows
from hybridcx.pipeline.base import (
    ArticleRef,
    CustomerProfile,
    TranscriptLine,
    TurnContext,
    TurnServices,
)
from hybridcx.pipeline.factory import build_pipeline
from hybridcx.pipeline.policy import load_policy
from hybridcx.pipeline.steps.multi import PENDING_REQUESTS_KEY
from hybridcx.pipeline.steps.understand import RequestPart, Understanding

NOW = datetime(2026, 11, 27, 9, 0)
PARTS = {
    "where is my order 1001 and also what are your opening hours?": [
        RequestPart("where is my order 1001", "order_status", 0.95),
        RequestPart("what are your opening hours?", "opening_hours", 0.93),
    ],
    "what are your opening hours? also reset my password please": [
        RequestPart("what are your opening hours?", "opening_hours", 0.93),
        RequestPart("reset my password please", "password_reset", 0.9),
    ],
    "where is my order 1001 and also i want to complain": [
        RequestPart("where is my order 1001", "order_status", 0.95),
        RequestPart("i want to complain", "complaint", 0.9),
    ],
}


class FakeUnderstander:
    def understand(self, text: str, *, now: datetime | None = None) -> Understanding:
        parts = PARTS.get(text.lower(), [])
        first = parts[0] if parts else RequestPart(text, "order_status", 0.9)
        entities: dict[str, list[Any]] = {}
        if "1001" in text:
            entities["order_number"] = ["1001"]
        if text.lower() == "yes":
            first = RequestPart(text, "greeting", 0.3)
        return Understanding(
            first.intent,
            0.5 if parts else first.confidence,
            out_of_scope=False,
            ranking=[(p.intent or "", p.confidence) for p in parts] or [(first.intent or "", 0.9)],
            entities=entities,
            part_intents=[p.intent for p in parts if p.intent],
            parts=parts,
        )


class FakeKnowledge:
    async def article(self, slug: str) -> ArticleRef | None:
        if slug == "opening-hours":
            return ArticleRef(slug, "Opening hours", "Open 9-19 on weekdays.")
        return None

    async def answer(self, query: str) -> None:
        return None


def run(
    text: str,
    ai_state: dict[str, Any] | None = None,
    *,
    understander: FakeUnderstander | None = None,
) -> TurnContext:
    backend = MemoryBackend()
    backend.orders["1001"] = (
        Order("1001", "shipped", "UPS", None, NOW.date() + timedelta(days=2), NOW),
        "alex@example.com",
    )
    backend.accounts["alex@example.com"] = Account("A-1", "active", "basic", 0.0)
    pipeline = build_pipeline(
        load_policy(), understander=understander or FakeUnderstander(), flows=load_flows()
    )
    ctx = TurnContext(
        text=text,
        customer=CustomerProfile("c1", "Alex", "alex@example.com"),
        channel="webchat",
        status="bot",
        tier=1,
        transcript=[TranscriptLine("customer", text)],
        ai_state=dict(ai_state or {}),
        services=TurnServices(backend=backend, knowledge=FakeKnowledge()),
        now=NOW,
    )
    asyncio.run(pipeline.arun(ctx))
    return ctx


def test_two_tier_1_requests_are_both_served_in_turn_not_handed_over() -> None:
    ctx = run("Where is my order 1001 and also what are your opening hours?")
    assert ctx.decision is not None and not ctx.decision.handoff
    text = "\n".join(r.text for r in ctx.replies)
    assert "Order 1001 is shipped" in text and "Open 9-19" in text
    assert text.index("Order 1001") < text.index("Open 9-19")
    assert ctx.served_intents == ["order_status", "opening_hours"]
    assert PENDING_REQUESTS_KEY not in ctx.ai_state


def test_the_next_request_waits_for_the_flow_of_the_first() -> None:
    first = run("What are your opening hours? Also reset my password please")
    assert first.decision is not None and not first.decision.handoff
    assert "Open 9-19" in first.replies[0].text
    assert first.ai_state["flow"]["flow"] == "password_reset"
    done = run("yes", first.ai_state)
    assert done.decision is not None and not done.decision.handoff
    assert done.served_intents == ["password_reset"]


def test_a_part_people_handle_makes_the_message_complex() -> None:
    ctx = run("Where is my order 1001 and also I want to complain")
    assert ctx.decision is not None and ctx.decision.handoff
    assert "complex" in ctx.decision.reasons


def test_the_next_request_starts_after_a_flow_finished_by_an_out_of_scope_answer() -> None:
    class NumbersAreOutOfScope(FakeUnderstander):
        def understand(self, text: str, *, now: datetime | None = None) -> Understanding:
            if text.strip().isdigit():
                return Understanding(
                    None,
                    0.05,
                    out_of_scope=True,
                    ranking=[("greeting", 0.05)],
                    entities={"order_number": [text.strip()]},
                )
            return super().understand(text, now=now)

    text = "where is my order and also what are your opening hours?"
    PARTS[text] = [
        RequestPart("where is my order", "order_status", 0.95),
        RequestPart("what are your opening hours?", "opening_hours", 0.93),
    ]
    try:
        first = run(text, understander=NumbersAreOutOfScope())
        assert first.ai_state["flow"]["flow"] == "order_status"
        done = run("1001", first.ai_state, understander=NumbersAreOutOfScope())
    finally:
        del PARTS[text]
    assert done.decision is not None and not done.decision.handoff, done.decision
    reply = "\n".join(r.text for r in done.replies)
    assert "Order 1001 is shipped" in reply and "Open 9-19" in reply
    assert done.served_intents == ["order_status", "opening_hours"]
