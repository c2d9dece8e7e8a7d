"""The flow engine with the default flows, against an in-memory company backend."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from hybridcx.flows.actions import ACTIONS
from hybridcx.flows.backend import Account, Order, Slot
from hybridcx.flows.engine import FlowEngine, FlowOutcome, FlowState, FlowTurn, is_cancel
from hybridcx.flows.memory_backend import MemoryBackend
from hybridcx.flows.spec import FlowSpecError, load_flows

NOW = datetime(2026, 11, 27, 9, 0)


@pytest.fixture
def backend() -> MemoryBackend:
    b = MemoryBackend()
    b.orders["1001"] = (
        Order("1001", "shipped", "UPS", "1Z999", date(2026, 11, 29), NOW - timedelta(days=2)),
        "alex@example.com",
    )
    b.orders["2002"] = (
        Order("2002", "processing", None, None, date(2026, 12, 1), NOW),
        "sam@example.com",
    )
    b.accounts["alex@example.com"] = Account("AC-1", "active", "Explorer", 0.0)
    for i, hour in enumerate((10, 11, 14)):
        slot = Slot(f"s{i}", NOW.replace(hour=hour) + timedelta(days=1), "Downtown")
        b.slots[slot.id] = (slot, None)
    return b


@pytest.fixture
def engine(backend: MemoryBackend) -> FlowEngine:
    return FlowEngine(load_flows(), ACTIONS, backend)


def turn(text: str, *, verified: bool = False, **entities: list[Any]) -> FlowTurn:
    return FlowTurn(
        text=text,
        entities=entities,
        email="alex@example.com",
        name="Alex",
        verified=verified,
        now=NOW,
    )


def run(coro: Any) -> FlowOutcome:
    return asyncio.run(coro)  # type: ignore[no-any-return]


def test_order_status_asks_for_the_number_and_checks_it_belongs_to_the_email(
    engine: FlowEngine,
) -> None:
    out = run(engine.start("order_status", turn("where is my order")))
    assert out.state is not None and "order number" in out.replies[-1]
    wrong = run(engine.reply(out.state, turn("it's 2002", order_number=["2002"])))
    assert "couldn't find order 2002" in wrong.replies[0] and wrong.state is not None
    done = run(engine.reply(wrong.state, turn("1001", order_number=["1001"])))
    assert done.completed and done.state is None
    assert "Order 1001 is shipped with UPS" in done.replies[0]
    assert "Expected delivery" in done.replies[0]


def test_verified_customer_with_one_open_order_is_not_asked(engine: FlowEngine) -> None:
    out = run(engine.start("order_status", turn("where is my order", verified=True)))
    assert out.completed and "Order 1001 is shipped" in out.replies[0]


def test_two_bad_order_numbers_fail_the_flow(engine: FlowEngine) -> None:
    out = run(engine.start("order_status", turn("order status")))
    out = run(engine.reply(out.state, turn("9999", order_number=["9999"])))  # type: ignore[arg-type]
    out = run(engine.reply(out.state, turn("8888", order_number=["8888"])))  # type: ignore[arg-type]
    assert out.failed and out.state is None


def test_a_reply_without_the_slot_is_reported_not_consumed(engine: FlowEngine) -> None:
    out = run(engine.start("order_status", turn("order status")))
    again = run(engine.reply(out.state, turn("what are your opening hours?")))  # type: ignore[arg-type]
    assert again.no_value and again.state is out.state and again.state.attempts == 0


def test_account_status_needs_a_one_time_code(engine: FlowEngine, backend: MemoryBackend) -> None:
    out = run(engine.start("account_status", turn("account status")))
    assert ("alex@example.com", "verification_code") in backend.sent
    assert "a•••@example.com" in out.replies[-1]
    bad = run(engine.reply(out.state, turn("000000", code=["000000"])))  # type: ignore[arg-type]
    assert "doesn't match" in bad.replies[0]
    good = run(engine.reply(bad.state, turn("123456", code=["123456"])))  # type: ignore[arg-type]
    assert good.completed and "AC-1 is active" in good.replies[-1]


def test_verified_customer_gets_account_status_at_once(
    engine: FlowEngine, backend: MemoryBackend
) -> None:
    out = run(engine.start("account_status", turn("account status", verified=True)))
    assert out.completed and "Explorer" in out.replies[-1] and backend.sent == []


def test_password_reset_confirms_and_never_mentions_a_password_value(
    engine: FlowEngine, backend: MemoryBackend
) -> None:
    out = run(engine.start("password_reset", turn("I forgot my password")))
    assert out.buttons == ["Yes", "No"]
    done = run(engine.reply(out.state, turn("yes")))  # type: ignore[arg-type]
    assert done.completed and ("alex@example.com", "password_reset") in backend.sent
    declined = run(engine.start("password_reset", turn("reset password")))
    no = run(engine.reply(declined.state, turn("no")))  # type: ignore[arg-type]
    assert no.cancelled and "won't send" in no.replies[0]


def test_booking_offers_slots_books_and_confirms(
    engine: FlowEngine, backend: MemoryBackend
) -> None:
    out = run(engine.start("book_appointment", turn("book an appointment")))
    assert len(out.buttons) == 3 and "1)" in out.replies[-1]
    out = run(engine.reply(out.state, turn("2")))  # type: ignore[arg-type]
    assert out.buttons == ["Yes", "No"] and "11:00" in out.replies[-1]
    out = run(engine.reply(out.state, turn("yes")))  # type: ignore[arg-type]
    assert out.completed and "You're booked" in out.replies[-1]
    assert backend.slots["s1"][1] == "alex@example.com"


def test_slot_taken_meanwhile_offers_the_others(engine: FlowEngine, backend: MemoryBackend) -> None:
    out = run(engine.start("book_appointment", turn("book")))
    out = run(engine.reply(out.state, turn("first")))  # type: ignore[arg-type]
    slot, _ = backend.slots["s0"]
    backend.slots["s0"] = (slot, "someone@else.com")  # taken while the customer decided
    out = run(engine.reply(out.state, turn("yes")))  # type: ignore[arg-type]
    assert not out.completed and "just taken" in out.replies[0]
    assert out.state is not None and len(out.buttons) == 2


def test_invalid_slot_choice_is_asked_again(engine: FlowEngine) -> None:
    out = run(engine.start("book_appointment", turn("book")))
    out = run(engine.reply(out.state, turn("7")))  # type: ignore[arg-type]
    assert "Please pick one of these" in out.replies[0] and out.state is not None


def test_reschedule_and_cancel(engine: FlowEngine, backend: MemoryBackend) -> None:
    slot, _ = backend.slots["s0"]
    backend.slots["s0"] = (slot, "alex@example.com")
    out = run(engine.start("reschedule_appointment", turn("move my appointment")))
    out = run(engine.reply(out.state, turn("1")))  # type: ignore[arg-type]
    out = run(engine.reply(out.state, turn("yes")))  # type: ignore[arg-type]
    assert (
        out.completed
        and backend.slots["s0"][1] is None
        and backend.slots["s1"][1] == "alex@example.com"
    )
    out = run(engine.start("cancel_appointment", turn("cancel my appointment")))
    out = run(engine.reply(out.state, turn("yes")))  # type: ignore[arg-type]
    assert out.completed and backend.slots["s1"][1] is None


def test_digression_pauses_and_resumes(engine: FlowEngine) -> None:
    booking = run(engine.start("book_appointment", turn("book")))
    assert booking.state is not None
    side = run(
        engine.start("order_status", turn("where's my order"), paused=engine.pause(booking.state))
    )
    done = run(engine.reply(side.state, turn("1001", order_number=["1001"])))  # type: ignore[arg-type]
    assert done.completed and "Order 1001" in done.replies[0]
    assert done.state is not None and done.state.flow == "book_appointment"
    assert "back to where we were" in done.replies[-1]


def test_cancel_ends_the_flow(engine: FlowEngine) -> None:
    out = run(engine.start("book_appointment", turn("book")))
    assert is_cancel("Never mind!") and not is_cancel("cancel my appointment")
    stopped = run(engine.cancel(out.state))  # type: ignore[arg-type]
    assert stopped.cancelled and stopped.state is None


def test_state_survives_json(engine: FlowEngine) -> None:
    out = run(engine.start("book_appointment", turn("book")))
    assert out.state is not None
    restored = FlowState.from_dict(out.state.to_dict())
    assert restored == out.state


def test_bad_flow_files_are_clear_errors(tmp_path: Any) -> None:
    path = tmp_path / "flows.yaml"
    path.write_text("flows:\n  x:\n    intents: [a]\n    steps:\n      - collect: s\n")
    with pytest.raises(FlowSpecError, match="no prompt"):
        load_flows(path)
    path.write_text("flows:\n  x:\n    intents: [a]\n    steps:\n      - action: nope\n")
    with pytest.raises(ValueError, match="unknown actions"):
        FlowEngine(load_flows(path), ACTIONS, MemoryBackend())
