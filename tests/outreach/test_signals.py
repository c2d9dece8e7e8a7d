"""The outreach rules without a server: quiet hours across time zones and midnight, the churn
score, segments, templates and the backend listing calls (MemoryBackend)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from hybridcx.flows.actions import describe_order
from hybridcx.flows.backend import Order, Slot
from hybridcx.flows.memory_backend import MemoryBackend
from hybridcx.flows.outreach_context import with_outreach_context
from hybridcx.kit.errors import InvalidInput
from hybridcx.outreach.service import in_quiet_hours, matches_segment, render, validate
from hybridcx.outreach.signals import churn_score


@pytest.mark.parametrize(
    ("utc", "zone", "quiet"),
    [
        (datetime(2026, 12, 8, 12, 0), "UTC", False),
        (datetime(2026, 12, 8, 21, 0), "UTC", True),
        (datetime(2026, 12, 8, 7, 59), "UTC", True),
        (datetime(2026, 12, 8, 8, 0), "UTC", False),
        # noon UTC is 04:00 in Los Angeles (quiet), 21:00 in Tokyo (quiet)
        (datetime(2026, 12, 8, 12, 0), "America/Los_Angeles", True),
        (datetime(2026, 12, 8, 12, 0), "Asia/Tokyo", True),
        (datetime(2026, 12, 8, 3, 0), "Asia/Tokyo", False),  # 12:00 in Tokyo
        # the EU daylight-saving change: 06:30 UTC on 29 March 2026 is 08:30 in Berlin
        (datetime(2026, 3, 29, 6, 30), "Europe/Berlin", False),
        (datetime(2026, 3, 28, 6, 30), "Europe/Berlin", True),  # 07:30 the day before
    ],
)
def test_quiet_hours_in_the_customers_time_zone(utc: datetime, zone: str, quiet: bool) -> None:
    assert in_quiet_hours(utc, ZoneInfo(zone), 21, 8) is quiet


def test_quiet_hours_within_a_day_and_none() -> None:
    noon = datetime(2026, 12, 8, 12, 0)
    assert in_quiet_hours(noon, ZoneInfo("UTC"), 12, 14) is True
    assert in_quiet_hours(noon, ZoneInfo("UTC"), 13, 14) is False
    assert in_quiet_hours(noon, ZoneInfo("UTC"), 9, 9) is False


def test_churn_score() -> None:
    assert churn_score(0, None, 0) == 0.0
    calm = churn_score(1, 0.3, 0)
    angry = churn_score(3, -0.8, 3)
    assert calm < 0.5 <= angry <= 1.0
    assert churn_score(3, -0.8, 3) > churn_score(3, -0.8, 0)


def test_segments_and_templates() -> None:
    vip = SimpleNamespace(vip=True, attributes={"plan": "pro"})
    plain = SimpleNamespace(vip=False, attributes={})
    assert matches_segment(vip, {"vip": True, "attributes": {"plan": "pro"}})  # type: ignore[arg-type]
    assert not matches_segment(plain, {"vip": True})  # type: ignore[arg-type]
    assert render("Order {order_number} {unknown}", {"order_number": "1001"}) == "Order 1001 "
    with pytest.raises(InvalidInput):
        render("{", {})
    with pytest.raises(InvalidInput):
        validate(signal="late_shipment", channels=[], templates={}, segment={})


def test_memory_backend_lists_late_orders_and_tomorrows_appointments() -> None:
    placed = datetime(2026, 12, 1)
    backend = MemoryBackend(
        orders={
            "1": (Order("1", "shipped", "UPS", None, date(2026, 12, 7), placed), "a@x.test"),
            "2": (Order("2", "shipped", "UPS", None, date(2026, 12, 9), placed), "b@x.test"),
            "3": (Order("3", "delivered", "UPS", None, date(2026, 12, 1), placed), "c@x.test"),
            "4": (Order("4", "payment_failed", None, None, None, placed), "d@x.test"),
        },
        slots={
            "s1": (Slot("s1", datetime(2026, 12, 9, 10), "Main St"), "a@x.test"),
            "s2": (Slot("s2", datetime(2026, 12, 9, 11), "Main St"), None),
            "s3": (Slot("s3", datetime(2026, 12, 10, 10), "Main St"), "b@x.test"),
        },
    )
    late = asyncio.run(backend.late_orders(date(2026, 12, 8)))
    assert [(o.number, who) for o, who in late] == [("1", "a@x.test")]
    booked = asyncio.run(
        backend.appointments_between(datetime(2026, 12, 9), datetime(2026, 12, 10))
    )
    assert [(s.id, who) for s, who in booked] == [("s1", "a@x.test")]
    assert asyncio.run(backend.failed_payments(placed)) == [("4", "d@x.test")]
    # The flows describe the status in words, not as the backend's code.
    assert describe_order(backend.orders["4"][0]) == (
        "Order 4 is on hold: its payment failed, so it has not shipped yet."
    )


def test_a_notice_context_fills_the_order_number_the_message_did_not_give() -> None:
    state = {"outreach": {"order_number": "1001"}}
    assert with_outreach_context(state, {})["order_number"] == ["1001"]
    assert with_outreach_context(state, {"order_number": ["2002"]})["order_number"] == ["2002"]
    assert with_outreach_context({}, {}) == {}


def test_an_order_on_payment_hold_reads_as_words_when_a_cancel_is_refused() -> None:
    import asyncio
    from datetime import datetime

    from hybridcx.flows.actions import quote_refund
    from hybridcx.flows.backend import Order
    from hybridcx.flows.engine import ActionContext, FlowTurn
    from hybridcx.flows.memory_backend import MemoryBackend

    held = Order("1000", "payment_failed", None, None, None, datetime(2026, 12, 1))
    backend = MemoryBackend(orders={"1000": (held, "hugo@example.com")})
    turn = FlowTurn(
        text="cancel order 1000",
        entities={},
        email="hugo@example.com",
        name="Hugo",
        verified=True,
        now=datetime(2026, 12, 8, 10),
    )
    result = asyncio.run(quote_refund(ActionContext({"order_number": "1000"}, turn, backend)))
    assert result.fail
    assert result.say == ["Order 1000 is on hold (payment failed), so I can't cancel it here."]
