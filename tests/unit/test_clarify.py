"""Clarifying questions: two close intents get a question, the answer picks the flow."""

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
from hybridcx.pipeline.steps.clarify import PENDING_KEY, SOMETHING_ELSE
from hybridcx.pipeline.steps.understand import Understanding

NOW = datetime(2026, 11, 27, 9, 0)
CLOSE = [("order_status", 0.46), ("change_delivery_address", 0.40)]
READINGS: dict[str, list[tuple[str, float]]] = {
    "my parcel 1001 is going to the old address": CLOSE,
    "the tracking one": [("order_status", 0.8), ("account_status", 0.1)],
    "hello there": [("greeting", 0.5), ("thanks", 0.45)],
    "a person or my parcel": [("order_status", 0.4), ("account_status", 0.3), ("human_agent", 0.2)],
    "where is my order 1001": [("order_status", 0.95), ("account_status", 0.02)],
}


class FakeUnderstander:
    def understand(self, text: str, *, now: datetime | None = None) -> Understanding:
        ranking = READINGS.get(text.lower(), [("order_status", 0.2), ("complaint", 0.1)])
        entities: dict[str, list[Any]] = {}
        if "1001" in text:
            entities["order_number"] = ["1001"]
        return Understanding(
            ranking[0][0], ranking[0][1], out_of_scope=False, ranking=ranking, entities=entities
        )


def run(text: str, ai_state: dict[str, Any] | None = None) -> TurnContext:
    backend = MemoryBackend()
    backend.orders["1001"] = (
        Order("1001", "shipped", "UPS", None, NOW.date() + timedelta(days=2), NOW),
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
        services=TurnServices(backend=backend),
        now=NOW,
    )
    asyncio.run(pipeline.arun(ctx))
    return ctx


def test_close_intents_get_a_question_with_a_button_each_not_a_flow() -> None:
    ctx = run("my parcel 1001 is going to the old address")
    assert ctx.decision is not None and not ctx.decision.handoff
    assert "flow" not in ctx.ai_state and ctx.ai_state[PENDING_KEY]["options"] == [
        "order_status",
        "change_delivery_address",
    ]
    assert ctx.replies[0].buttons == ("Track an order", "Change a delivery address", SOMETHING_ELSE)


def test_the_button_answer_starts_the_chosen_flow_with_the_first_message_entities() -> None:
    asked = run("my parcel 1001 is going to the old address")
    ctx = run("Track an order", asked.ai_state)
    assert ctx.decision is not None and not ctx.decision.handoff
    assert ctx.decision.intent == "order_status" and ctx.decision.confidence == 1.0
    assert any("Order 1001 is shipped" in r.text for r in ctx.replies)
    assert PENDING_KEY not in ctx.ai_state


def test_a_reply_the_model_reads_as_one_option_counts_as_the_choice() -> None:
    asked = run("my parcel 1001 is going to the old address")
    assert run("the tracking one", asked.ai_state).decision.intent == "order_status"  # type: ignore[union-attr]


def test_something_else_asks_what_then_and_a_human_intent_choice_goes_to_a_person() -> None:
    asked = run("my parcel 1001 is going to the old address")
    other = run("Something else", asked.ai_state)
    assert other.decision is not None and not other.decision.handoff
    assert "what can I help you with" in other.replies[0].text
    person = run("2", asked.ai_state)
    assert person.decision is not None and person.decision.handoff
    assert person.decision.reasons == ("human_intent",)


def test_small_talk_and_clear_messages_are_not_questioned() -> None:
    assert PENDING_KEY not in run("hello there").ai_state
    maybe_a_person = run("a person or my parcel")
    assert PENDING_KEY not in maybe_a_person.ai_state and maybe_a_person.decision.handoff  # type: ignore[union-attr]
    clear = run("where is my order 1001")
    assert PENDING_KEY not in clear.ai_state and "Order 1001 is shipped" in clear.replies[0].text
