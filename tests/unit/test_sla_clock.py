"""SLA clocks (hybridcx.hours.sla), pure: policy matching, the first and next response clocks,
pausing while waiting on the customer, business-hours deadlines, warnings, breaches and
attainment. Every instant is given; nothing reads the clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hybridcx.hours.calendar import Calendar
from hybridcx.hours.sla import PolicyTerms, advance, attainment_of, match_policy, start_clock

T0 = datetime(2026, 12, 11, 16, 30)  # a Friday, 16:30 UTC
OFFICE = Calendar.from_config(
    "UTC", {d: [{"open": "09:00", "close": "17:00"}] for d in ("mon", "tue", "wed", "thu", "fri")}
)


def policy(**kw: object) -> PolicyTerms:
    base: dict[str, object] = dict(
        id="p",
        name="Standard",
        tier=None,
        channel=None,
        vip=None,
        first_response_seconds=3600,
        next_response_seconds=1800,
        warn_before_seconds=600,
        business_hours=True,
    )
    base.update(kw)
    return PolicyTerms(**base)  # type: ignore[arg-type]


def test_the_most_specific_policy_wins() -> None:
    any_ = policy(id="any", name="Any")
    chat = policy(id="chat", name="Chat", channel="webchat")
    vip_chat = policy(id="vipchat", name="VIP chat", channel="webchat", vip=True)
    tier3 = policy(id="t3", name="Tier 3", tier=3)
    policies = [any_, chat, vip_chat, tier3]
    assert match_policy(policies, tier=2, channel="webchat", vip=True) == vip_chat
    assert match_policy(policies, tier=2, channel="webchat", vip=False) == chat
    assert match_policy(policies, tier=2, channel="sms", vip=False) == any_
    assert match_policy(policies, tier=3, channel="sms", vip=False) == tier3
    assert match_policy([chat], tier=1, channel="sms", vip=False) is None


@pytest.mark.parametrize(
    ("business_hours", "due"),
    [
        (True, datetime(2026, 12, 14, 9, 30)),  # one open hour: Friday 16:30-17, then Monday
        (False, T0 + timedelta(hours=1)),  # around the clock
    ],
)
def test_first_response_deadline_respects_business_hours(
    business_hours: bool, due: datetime
) -> None:
    clock = start_clock(policy(business_hours=business_hours), OFFICE, T0)
    assert clock["kind"] == "first" and clock["state"] == "running"
    assert clock["due_at"].startswith(due.isoformat())


def test_warning_then_breach_each_once() -> None:
    p = policy(business_hours=False)
    clock = start_clock(p, OFFICE, T0)
    clock, events = advance(clock, [], T0 + timedelta(minutes=30), p, OFFICE)
    assert events == []
    clock, events = advance(clock, [], T0 + timedelta(minutes=51), p, OFFICE)
    assert [t for t, _ in events] == ["sla.warning"] and clock["warned"]
    clock, events = advance(clock, [], T0 + timedelta(minutes=55), p, OFFICE)
    assert events == []
    clock, events = advance(clock, [], T0 + timedelta(minutes=61), p, OFFICE)
    assert [t for t, _ in events] == ["sla.breached"] and clock["breached"]
    clock, events = advance(clock, [], T0 + timedelta(minutes=90), p, OFFICE)
    assert events == []
    # the late reply completes it, not met, without a second breach
    clock, events = advance(
        clock, [(5, "agent", T0 + timedelta(minutes=95))], T0 + timedelta(minutes=95), p, OFFICE
    )
    assert [t for t, _ in events] == ["sla.completed"]
    assert events[0][1]["met"] is False and events[0][1]["response_seconds"] == 95 * 60


def test_reply_in_time_pauses_then_the_customer_starts_next_response() -> None:
    p = policy(business_hours=False)
    clock = start_clock(p, OFFICE, T0)
    msgs = [(3, "customer", T0 + timedelta(minutes=1)), (4, "agent", T0 + timedelta(minutes=10))]
    clock, events = advance(clock, msgs, T0 + timedelta(minutes=10), p, OFFICE)
    assert [t for t, _ in events] == ["sla.completed"] and events[0][1]["met"] is True
    assert clock["state"] == "paused" and clock["seen_seq"] == 4
    # waiting on the customer: no clock runs however long it takes
    clock, events = advance(clock, [], T0 + timedelta(days=3), p, OFFICE)
    assert events == [] and clock["state"] == "paused"
    reply = T0 + timedelta(days=3, minutes=5)
    clock, events = advance(clock, [(9, "customer", reply)], reply, p, OFFICE)
    assert clock["kind"] == "next" and clock["state"] == "running" and events == []
    assert clock["due_at"].startswith((reply + timedelta(minutes=30)).isoformat())
    assert clock["seen_seq"] == 9
    clock, events = advance(clock, [], reply + timedelta(minutes=31), p, OFFICE)
    assert [(t, d["kind"]) for t, d in events] == [("sla.breached", "next")]


def test_no_next_response_target_stays_paused() -> None:
    p = policy(next_response_seconds=None, business_hours=False)
    clock = start_clock(p, OFFICE, T0)
    clock, _ = advance(clock, [(2, "agent", T0 + timedelta(minutes=2))], T0, p, OFFICE)
    clock, events = advance(
        clock, [(3, "customer", T0 + timedelta(minutes=5))], T0 + timedelta(hours=9), p, OFFICE
    )
    assert clock["state"] == "paused" and events == []


def test_business_hours_response_time_counts_open_time_only() -> None:
    p = policy()
    clock = start_clock(p, OFFICE, T0)  # Friday 16:30, due Monday 09:30
    monday = datetime(2026, 12, 14, 10, 0)
    clock, events = advance(clock, [], datetime(2026, 12, 13, 12, 0), p, OFFICE)
    assert events == []  # Sunday: not even a warning (due Monday 09:30, warn 09:20)
    clock, events = advance(clock, [(7, "agent", monday)], monday, p, OFFICE)
    types = [t for t, _ in events]
    assert types == ["sla.breached", "sla.completed"]
    assert events[1][1]["response_seconds"] == 90 * 60  # 16:30-17 Friday + 09:00-10:00 Monday


def test_attainment_by_tier_channel_and_team() -> None:
    events = [
        ("sla.completed", {"met": True, "tier": 2, "channel": "webchat", "team": "billing"}),
        ("sla.completed", {"met": False, "tier": 2, "channel": "webchat", "team": None}),
        ("sla.breached", {"tier": 2, "channel": "webchat", "team": None}),
        ("sla.completed", {"met": True, "tier": 3, "channel": "sms", "team": "billing"}),
    ]
    report = attainment_of(events)
    assert report["overall"] == {"responses": 3, "met": 2, "breaches": 1, "attainment": 0.6667}
    assert report["by_tier"]["2"]["attainment"] == 0.5
    assert report["by_channel"]["sms"]["attainment"] == 1.0
    assert report["by_team"]["(none)"] == {
        "responses": 1,
        "met": 0,
        "breaches": 1,
        "attainment": 0.0,
    }
    assert attainment_of([])["overall"]["attainment"] is None
