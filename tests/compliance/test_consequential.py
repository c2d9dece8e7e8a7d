"""Consequential flow actions against the in-memory backend: verification gate, approval
limits, execution."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from hybridcx.flows.actions import ACTIONS
from hybridcx.flows.backend import Account, Order
from hybridcx.flows.consequential import execute, needs_approval
from hybridcx.flows.engine import FlowEngine, FlowOutcome, FlowState, FlowTurn
from hybridcx.flows.memory_backend import MemoryBackend
from hybridcx.flows.spec import FlowsFile, load_flows

NOW = datetime(2026, 11, 27, 9, 0)
LIMITS = {
    "refund_over": 50.0,
    "account_changes": True,
    "verify_before_actions": ["cancel_and_refund"],
}


@pytest.fixture
def backend() -> MemoryBackend:
    b = MemoryBackend()
    b.orders["1001"] = (
        Order("1001", "shipped", "UPS", "1Z", date(2026, 11, 29), NOW - timedelta(days=2), 113.5),
        "alex@example.com",
    )
    b.orders["1003"] = (
        Order("1003", "processing", None, None, date(2026, 12, 1), NOW, 20.0),
        "alex@example.com",
    )
    b.orders["2002"] = (Order("2002", "processing", None, None, None, NOW, 10.0), "sam@example.com")
    b.accounts["alex@example.com"] = Account("AC-1", "active", "Explorer", 0.0)
    return b


def turn(
    text: str, *, verified: bool = False, limits: dict[str, Any] = LIMITS, **entities: list[Any]
) -> FlowTurn:
    return FlowTurn(text, entities, "alex@example.com", "Alex", verified, NOW, limits=limits)


def run_flow(engine: FlowEngine, turns: list[FlowTurn]) -> tuple[FlowOutcome, list[dict[str, Any]]]:
    async def go() -> tuple[FlowOutcome, list[dict[str, Any]]]:
        requests: list[dict[str, Any]] = []
        outcome = await engine.start("cancel_order", turns[0])
        requests += turns[0].requests
        for t in turns[1:]:
            assert outcome.state is not None, outcome.replies
            outcome = await engine.reply(outcome.state, t)
            requests += t.requests
        return outcome, requests

    return asyncio.run(go())


def test_small_refund_runs_after_verification(backend: MemoryBackend) -> None:
    engine = FlowEngine(load_flows(), ACTIONS, backend)
    outcome, requests = run_flow(
        engine,
        [
            turn("cancel my order"),
            turn("123456", code=["123456"]),
            turn("1003", order_number=["1003"]),
            turn("yes"),
        ],
    )
    assert outcome.completed and "is cancelled and $20.00 is refunded" in outcome.replies[-1]
    assert backend.orders["1003"][0].status == "cancelled"
    assert backend.refunds == [("1003", "alex@example.com", 20.0)]
    assert [r["status"] for r in requests] == ["executed"]


def test_refund_over_the_limit_is_held_not_run(backend: MemoryBackend) -> None:
    engine = FlowEngine(load_flows(), ACTIONS, backend)
    outcome, requests = run_flow(
        engine,
        [
            turn("cancel", verified=True),
            turn("1001", verified=True, order_number=["1001"]),
            turn("yes", verified=True),
        ],
    )
    assert "awaiting review" in outcome.replies[-1]
    assert backend.orders["1001"][0].status == "shipped" and backend.refunds == []
    [held] = requests
    assert held["status"] == "pending" and held["amount"] == 113.5
    assert held["params"] == {"order_number": "1001", "email": "alex@example.com", "amount": 113.5}


def test_someone_elses_order_cannot_be_cancelled(backend: MemoryBackend) -> None:
    engine = FlowEngine(load_flows(), ACTIONS, backend)
    outcome = asyncio.run(engine.start("cancel_order", turn("cancel", verified=True)))
    assert outcome.state is not None
    again = asyncio.run(
        engine.reply(outcome.state, turn("2002", verified=True, order_number=["2002"]))
    )
    assert "couldn't find order 2002" in again.replies[0]
    assert backend.orders["2002"][0].status == "processing"


def test_an_unverified_customer_is_refused_even_by_a_flow_without_a_code_step(
    backend: MemoryBackend,
) -> None:
    """The gate is in the action: a flow file that forgets verification cannot bypass it."""
    flows = load_flows().model_dump(by_alias=True)
    steps = [s for s in flows["flows"]["cancel_order"]["steps"] if s.get("collect") != "code"]
    steps = [s for s in steps if s.get("action") != "require_verification"]
    flows["flows"]["cancel_order"]["steps"] = steps
    engine = FlowEngine(FlowsFile.model_validate(flows), ACTIONS, backend)
    outcome = asyncio.run(
        engine.reply(
            FlowState(
                "cancel_order",
                step=len(steps) - 2,
                slots={"order_number": "1003", "refund_amount": "20.00"},
            ),
            turn("yes"),
        )
    )
    assert outcome.failed and "until you're verified" in outcome.replies[0]
    assert backend.refunds == [] and backend.orders["1003"][0].status == "processing"


def test_without_the_policy_gate_the_action_follows_the_limits_only(backend: MemoryBackend) -> None:
    limits = {"refund_over": None, "verify_before_actions": []}
    assert not needs_approval("cancel_and_refund", 10_000, limits)
    assert needs_approval("cancel_and_refund", 50.01, {"refund_over": 50})
    assert not needs_approval("cancel_and_refund", 50.0, {"refund_over": 50})
    done = asyncio.run(
        execute(
            backend,
            "cancel_and_refund",
            {"order_number": "2002", "email": "alex@example.com", "amount": 10},
        )
    )
    assert not done.ok and backend.orders["2002"][0].status == "processing"  # not alex's order
    unknown = asyncio.run(execute(backend, "wire_money", {}))
    assert not unknown.ok


def run_change(
    engine: FlowEngine, limits: dict[str, Any]
) -> tuple[FlowOutcome, list[dict[str, Any]]]:
    async def go() -> tuple[FlowOutcome, list[dict[str, Any]]]:
        turns = [
            turn("update my details", verified=True, limits=limits),
            turn("Phone number", verified=True, limits=limits),
            turn("+1 415 555 0100", verified=True, limits=limits),
            turn("yes", verified=True, limits=limits),
        ]
        outcome = await engine.start("update_contact_details", turns[0])
        assert outcome.buttons == ["Phone number", "Name"]
        for t in turns[1:]:
            assert outcome.state is not None, outcome.replies
            outcome = await engine.reply(outcome.state, t)
        return outcome, [r for t in turns for r in t.requests]

    return asyncio.run(go())


def test_every_account_change_waits_for_approval(backend: MemoryBackend) -> None:
    engine = FlowEngine(load_flows(), ACTIONS, backend)
    outcome, [held] = run_change(engine, LIMITS)
    assert "awaiting review" in outcome.replies[-1] and backend.contacts == {}
    assert held["status"] == "pending" and held["action"] == "change_contact_detail"
    assert held["params"] == {
        "email": "alex@example.com",
        "field": "phone",
        "value": "+1 415 555 0100",
    }


def test_account_changes_run_at_once_when_the_policy_allows(backend: MemoryBackend) -> None:
    engine = FlowEngine(load_flows(), ACTIONS, backend)
    outcome, [done] = run_change(engine, {**LIMITS, "account_changes": False})
    assert "phone number on your account is now +1 415 555 0100" in outcome.replies[-1]
    assert backend.contacts == {"alex@example.com": {"phone": "+1 415 555 0100"}}
    assert done["status"] == "executed"


def test_a_bad_phone_number_is_asked_again(backend: MemoryBackend) -> None:
    engine = FlowEngine(load_flows(), ACTIONS, backend)

    async def go() -> FlowOutcome:
        first = await engine.start("update_contact_details", turn("x", verified=True))
        assert first.state is not None
        second = await engine.reply(first.state, turn("phone", verified=True))
        assert second.state is not None
        return await engine.reply(second.state, turn("call me maybe", verified=True))

    outcome = asyncio.run(go())
    assert (
        outcome.replies == ["That doesn't look like a phone number."] and outcome.state is not None
    )
