"""Refund status (a lookup) and damaged-item claims (replacement or refund, held for approval
above the workspace's limit), against the in-memory company backend."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Any

import pytest

from hybridcx.flows.actions import ACTIONS
from hybridcx.flows.backend import Order
from hybridcx.flows.engine import FlowEngine, FlowOutcome, FlowTurn
from hybridcx.flows.memory_backend import MemoryBackend
from hybridcx.flows.spec import load_flows

NOW = datetime(2026, 11, 27, 9, 0)
LIMITS = {"refund_over": 50.0, "account_changes": True, "verify_before_actions": []}


@pytest.fixture
def backend() -> MemoryBackend:
    b = MemoryBackend()
    orders = {
        "1001": Order("1001", "delivered", "UPS", "1Z1", date(2026, 11, 25), NOW, 30.0),
        "1002": Order("1002", "delivered", "UPS", "1Z2", date(2026, 11, 25), NOW, 120.0),
        "1003": Order("1003", "processing", None, None, date(2026, 12, 1), NOW, 20.0),
        "1004": Order("1004", "cancelled", None, None, None, NOW, 45.0),
    }
    for number, order in orders.items():
        b.orders[number] = (order, "alex@example.com")
    return b


def turn(text: str, **entities: list[Any]) -> FlowTurn:
    return FlowTurn(text, entities, "alex@example.com", "Alex", False, NOW, limits=LIMITS)


def converse(backend: MemoryBackend, flow: str, answers: list[FlowTurn]) -> list[FlowOutcome]:
    engine = FlowEngine(load_flows(), ACTIONS, backend)

    async def go() -> list[FlowOutcome]:
        outcomes = [await engine.start(flow, answers[0])]
        for t in answers[1:]:
            state = outcomes[-1].state
            assert state is not None, outcomes[-1].replies
            outcomes.append(await engine.reply(state, t))
        return outcomes

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("1004", "was cancelled and refunded"),
        ("1001", "no refund on order 1001 yet: it was delivered"),
        ("1003", "no refund on order 1003: it is processing"),
    ],
)
def test_refund_status_reads_the_order(backend: MemoryBackend, number: str, expected: str) -> None:
    *_, done = converse(
        backend,
        "refund_status",
        [turn("where is my refund"), turn(number, order_number=[number])],
    )
    assert done.completed and expected in done.replies[-1]


def test_a_damaged_item_under_the_limit_is_replaced_at_once(backend: MemoryBackend) -> None:
    outcomes = converse(
        backend,
        "damaged_item",
        [
            turn("my tent arrived broken"),
            turn("1001", order_number=["1001"]),
            turn("the pole is snapped"),
            turn("Replacement"),
            turn("yes"),
        ],
    )
    assert outcomes[2].buttons == ["Replacement", "Refund"] and "$30.00" in outcomes[2].replies[-1]
    assert (
        outcomes[-1].completed
        and "replacement for order 1001 is on its way" in (outcomes[-1].replies[-1])
    )
    assert backend.replacements == [("1001", "alex@example.com")] and backend.refunds == []


def test_a_damaged_item_refund_over_the_limit_waits_for_approval(backend: MemoryBackend) -> None:
    answers = [
        turn("damaged"),
        turn("1002", order_number=["1002"]),
        turn("torn"),
        turn("a refund please"),
        turn("yes"),
    ]
    engine = FlowEngine(load_flows(), ACTIONS, backend)

    async def go() -> FlowOutcome:
        outcome = await engine.start("damaged_item", answers[0])
        for t in answers[1:]:
            assert outcome.state is not None
            outcome = await engine.reply(outcome.state, t)
        return outcome

    outcome = asyncio.run(go())
    assert "awaiting review" in outcome.replies[-1] and backend.refunds == []
    [held] = answers[-1].requests
    assert held["action"] == "refund_damaged" and held["status"] == "pending"
    assert held["amount"] == 120.0


def test_an_order_that_has_not_left_cannot_be_claimed_damaged(backend: MemoryBackend) -> None:
    *_, done = converse(
        backend, "damaged_item", [turn("broken"), turn("1003", order_number=["1003"])]
    )
    assert done.state is None and "hasn't reached you yet" in done.replies[-1]
    assert backend.refunds == [] and backend.replacements == []
