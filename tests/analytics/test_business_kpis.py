"""NPS, same-issue re-contacts, revenue, value by segment, scalability, staffed occupancy and the
team filter, each on a hand-built log whose answers are worked out by hand."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hybridcx.analytics.config import AnalyticsConfig
from hybridcx.analytics.kpis import KpiQuery, compute_kpis, scalability
from tests.analytics.eventlog import T0, Log

DAY = 86_400


def business_log() -> Log:
    """c1 vip ($5,000 lifetime) asks about availability (a sales intent), buys two orders:
    $120 + $80. c2 standard ($300) asks about discount codes, buys nothing. c3 standard ($50)
    asks about a refund (not sales) but an agent attributes an order of $40 anyway.
    c4 unknown segment (an old event without one), order_status, AI only.
    Surveys: c1 CSAT 5 NPS 10, c2 CSAT 4 NPS 9, c3 CSAT 2 NPS 3, c4 CSAT 4 NPS 7."""
    log = Log()
    log.created("c1", 0, "ann", segment="vip", customer_value=5000.0)
    log.turn("c1", 1, intent="product_availability")
    log.order("c1", 60, "o-1", 120.0).order("c1", 70, "o-2", 80.0).survey("c1", 80, 5, nps=10)
    log.created("c2", 10, "bob", segment="standard", customer_value=300.0)
    log.turn("c2", 11, intent="discount_codes").survey("c2", 90, 4, nps=9)
    log.created("c3", 20, "cat", segment="standard", customer_value=50.0)
    log.turn("c3", 21, intent="refund_status").queued("c3", 22, reasons=["low_confidence"])
    log.assigned("c3", 30, "A1").order("c3", 100, "o-3", 40.0).resolved("c3", 200, "A1")
    log.survey("c3", 210, 2, nps=3)
    log.created("c4", 30, "dan").turn("c4", 31, intent="order_status").survey("c4", 95, 4, nps=7)
    return log


def kpis(log: Log, config: AnalyticsConfig | None = None, **query: Any) -> dict[str, Any]:
    q = KpiQuery(start=T0, end=T0 + timedelta(days=1), **query)
    return compute_kpis(log.sorted(), q, config, now=T0 + timedelta(seconds=1000))


def test_nps_is_promoters_minus_detractors() -> None:
    nps = kpis(business_log())["customer_experience"]["nps"]
    # 10 and 9 promote, 7 is passive, 3 detracts: (2 - 1) / 4 = 25.
    assert nps == {"responses": 4, "promoters": 2, "passives": 1, "detractors": 1, "score": 25.0}


def test_nps_without_answers_is_empty_not_zero() -> None:
    log = Log().created("c1", 0, "ann").survey("c1", 5, 5)
    assert kpis(log)["customer_experience"]["nps"]["score"] is None


def test_revenue_per_sales_conversation() -> None:
    revenue = kpis(business_log())["business"]["revenue"]
    # Sales conversations: c1 and c2 (sales intents) and c3 (an attributed order) = 3;
    # their revenue 120 + 80 + 40 = 240 -> 80 per sales conversation; 2 of 3 converted.
    assert revenue["sales_conversations"] == 3
    assert revenue["with_orders"] == 2 and revenue["conversion_rate"] == 0.6667
    assert revenue["orders"] == 3 and revenue["revenue"] == 240.0
    assert revenue["revenue_per_sales_conversation"] == 80.0


def test_sales_intents_are_configuration() -> None:
    config = AnalyticsConfig(sales_intents=["order_status"])
    revenue = kpis(business_log(), config)["business"]["revenue"]
    # Now c4 (order_status) plus the two with orders (c1, c3).
    assert revenue["sales_conversations"] == 3
    assert revenue["revenue_per_sales_conversation"] == 80.0


def test_value_by_segment_and_value_tier() -> None:
    value = kpis(business_log())["business"]["value_by_segment"]
    vip, standard = value["by_segment"]["vip"], value["by_segment"]["standard"]
    assert vip["conversations"] == 1 and vip["revenue"] == 200.0 and vip["cost"] == 1.0
    assert standard["conversations"] == 2 and standard["revenue"] == 40.0
    # c2 AI (tier 1, $1) + c3 with a person (tier 2, $5).
    assert standard["cost"] == 6.0 and standard["ai_containment"] == 0.5
    assert standard["csat_average"] == 3.0
    assert value["by_segment"]["unknown"]["conversations"] == 1
    tiers = value["by_value_tier"]
    # 5000 -> high, 300 -> medium, 50 -> low, no value -> unknown.
    assert {k: v["conversations"] for k, v in tiers.items()} == {
        "high": 1,
        "low": 1,
        "medium": 1,
        "unknown": 1,
    }


def test_first_contact_resolution_counts_only_the_same_issue_by_default() -> None:
    log = Log()
    log.created("c1", 0, "ann").turn("c1", 1, intent="order_status")
    log.created("c2", DAY, "ann").turn("c2", DAY + 1, intent="opening_hours")  # another issue
    log.created("c3", 0, "bob").turn("c3", 1, intent="refund_status")
    log.created("c4", DAY, "bob").turn("c4", DAY + 1, intent="refund_status")  # same issue
    log.created("c5", 0, "cat").turn("c5", 1, intent="billing")
    log.created("c6", DAY, "cat")  # no intent known: counts against resolution
    q = KpiQuery(start=T0, end=T0 + timedelta(days=3))
    same = compute_kpis(log.sorted(), q)["customer_experience"]["first_contact_resolution"]
    assert same["recontact"] == "same_issue"
    assert same["finished"] == 6 and same["recontacts"] == 2  # c3 (by c4), c5 (by c6)
    any_ = compute_kpis(log.sorted(), q, AnalyticsConfig(fcr_recontact="any"))
    assert any_["customer_experience"]["first_contact_resolution"]["recontacts"] == 3


def test_scalability_ratio() -> None:
    # Volume up 50% (100 -> 150) while staffed hours rose 20% (80 -> 96): ratio 1.25.
    s = scalability(150, 100, 96.0, 80.0)
    assert s["volume_growth"] == 0.5 and s["staffed_hours_growth"] == 0.2
    assert s["ratio"] == 1.25 and s["contacts_per_staffed_hour"] == 1.56
    empty = scalability(10, 0, 5.0, 0.0)
    assert empty["ratio"] is None and empty["volume_growth"] is None


def test_occupancy_and_utilization_against_staffed_time() -> None:
    log = Log()
    # A1 busy 0-100 s with c1 and 50-150 s with c2: busy 150 s, handled 200 s.
    for conv, start in (("c1", 0), ("c2", 50)):
        log.created(conv, start, conv).queued(conv, start, reasons=["vip"])
        log.assigned(conv, start, "A1").resolved(conv, start + 100, "A1")
    q = KpiQuery(start=T0, end=T0 + timedelta(days=1))
    staffed = compute_kpis(
        log.sorted(), q, now=T0 + timedelta(seconds=500)
    )  # no shifts known: active span
    assert staffed["operations"]["agents"][0]["occupancy_basis"] == "active_span"
    from hybridcx.analytics.facts import replay
    from hybridcx.analytics.kpis import compute_kpis_from_facts

    facts = replay(log.sorted()).values()
    row = compute_kpis_from_facts(facts, q, staffed_seconds={"A1": 600.0})["operations"]["agents"][
        0
    ]
    assert row["occupancy_basis"] == "staffed" and row["staffed_seconds"] == 600.0
    assert row["occupancy"] == 0.25 and row["utilization"] == 0.3333


def test_team_filter_selects_conversations_its_members_had() -> None:
    log = business_log()
    log.created("c5", 40, "eve").queued("c5", 41, reasons=["vip"]).assigned("c5", 42, "B7")
    only_a = kpis(log, team="billing", team_agent_ids=frozenset({"A1"}))
    assert only_a["volume"]["conversations"] == 1  # c3
    assert only_a["query"]["team"] == "billing"
    nobody = kpis(log, team="empty", team_agent_ids=frozenset())
    assert nobody["volume"]["conversations"] == 0
