"""Each KPI on a hand-built event log whose answers are worked out by hand."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from hybridcx.analytics.config import AnalyticsConfig, CostModel, load_analytics_config
from hybridcx.analytics.kpis import KpiQuery, compute_kpis
from hybridcx.kit.errors import InvalidInput
from tests.analytics.eventlog import T0, Log

DAY = 86_400


def standard_log() -> Log:
    """Five conversations started on day 0:

    c1 alex, AI contained (2 turns, order_status).
    c2 bea, queued (low_confidence) at 10 s, accepted by A1 at 25 s, resolved at 325 s, CSAT 5.
    c3 cy (email), queued (customer_request, vip) tier 2 at 0 s, accepted by A2 at 60 s,
       transferred to A1 at 100 s, tier 3 from then, resolved at 700 s, CSAT 2.
    c4 alex again 2 days later: a re-contact, so c1 is not first-contact resolved. AI contained.
    c5 dee, queued at 50 s, never picked up (still waiting).
    """
    log = Log()
    log.created("c1", 0, "alex").turn("c1", 1, intent="order_status").turn("c1", 30, intent=None)
    log.created("c2", 5, "bea").turn("c2", 6, intent="refund", sentiment=-0.6)
    log.queued("c2", 10, reasons=["low_confidence"]).assigned("c2", 25, "A1")
    log.turn("c2", 40, intent="refund", tier=2).resolved("c2", 325, "A1").survey("c2", 400, 5)
    log.created("c3", 0, "cy", channel="email").turn("c3", 0.5, intent="human_agent")
    log.turn("c3", 0.7, intent="billing").queued("c3", 1, reasons=["customer_request", "vip"])
    log.assigned("c3", 61, "A2")
    log.add("c3", "conversation.transferred", 100, from_agent_id="A2", to="agent", tier=3)
    log.assigned("c3", 100, "A1", via="transfer").resolved("c3", 701, "A1").survey("c3", 800, 2)
    log.created("c4", 2 * DAY, "alex").turn("c4", 2 * DAY + 1, intent="order_status")
    log.created("c5", 40, "dee").turn("c5", 41, intent="refund").queued("c5", 50, reasons=["vip"])
    return log


def kpis(log: Log, **query: Any) -> dict[str, Any]:
    q = KpiQuery(start=T0, end=T0 + timedelta(days=3), **query)
    return compute_kpis(log.sorted(), q, now=T0 + timedelta(seconds=1000))


def test_volume_and_containment() -> None:
    k = kpis(standard_log())
    assert k["volume"]["conversations"] == 5
    assert k["volume"]["by_channel"] == {"email": 1, "webchat": 4}
    assert k["volume"]["open_with_people"] == 1  # c5
    assert k["operations"]["ai_containment"] == {"contained": 2, "rate": 0.4}


def test_csat() -> None:
    csat = kpis(standard_log())["customer_experience"]["csat"]
    assert csat["responses"] == 2 and csat["average"] == 3.5
    assert csat["satisfied_share"] == 0.5
    assert csat["distribution"] == {"2": 1, "5": 1}


def test_first_contact_resolution_counts_recontacts_within_the_window() -> None:
    fcr = kpis(standard_log())["customer_experience"]["first_contact_resolution"]
    # Finished: c1, c2, c3, c4 (c5 still waits). c1 is followed by c4 two days later.
    assert fcr["finished"] == 4 and fcr["resolved_first_contact"] == 3 and fcr["rate"] == 0.75
    assert fcr["recontacts_on_another_channel"] == 0


def test_fcr_window_is_configurable() -> None:
    q = KpiQuery(start=T0, end=T0 + timedelta(days=3))
    short = compute_kpis(standard_log().sorted(), q, AnalyticsConfig(fcr_days=1))
    assert short["customer_experience"]["first_contact_resolution"]["rate"] == 1.0


def test_average_handle_time_by_channel_and_tier() -> None:
    aht = kpis(standard_log())["customer_experience"]["average_handle_time"]
    # c2: 25 -> 325 = 300 s (tier 2, webchat); c3: 61 -> 701 = 640 s (tier 3, email).
    assert aht["conversations"] == 2 and aht["seconds"] == 470.0
    assert aht["by_channel"] == {"email": 640.0, "webchat": 300.0}
    assert aht["by_tier"] == {"2": 300.0, "3": 640.0}


def test_customer_effort_and_escalation() -> None:
    cx = kpis(standard_log())["customer_experience"]
    # turns: c1 2, c2 2, c3 2, c4 1, c5 1 -> 8 / 5
    assert cx["customer_effort"]["average_turns"] == 1.6
    assert cx["customer_effort"]["average_transfers"] == 0.2
    assert cx["escalation"]["escalated"] == 3 and cx["escalation"]["rate"] == 0.6
    assert cx["escalation"]["reasons"] == {"vip": 2, "low_confidence": 1, "customer_request": 1}


def test_tier_distribution_and_cost() -> None:
    ops = kpis(standard_log())["operations"]
    assert ops["tier_distribution"]["counts"] == {"1": 2, "2": 2, "3": 1}
    cost = ops["cost"]
    # 2 x 1.00 + 2 x 5.00 + 1 x 15.00 = 27.00 over 5 contacts = 5.40; baseline 10.00.
    assert cost["total"] == 27.0 and cost["blended_per_contact"] == 5.4
    assert cost["savings_vs_baseline"] == 0.46


def test_cost_model_from_configuration(tmp_path: Any) -> None:
    path = tmp_path / "demo.analytics.yaml"
    path.write_text("cost:\n  tier_2: 6\n  all_human_baseline: 12\nservice_level_seconds: 30\n")
    config = load_analytics_config(path)
    assert config.cost == CostModel(tier_2=6, all_human_baseline=12)
    assert config.cost.tier_1 == 1.0 and config.cost.tier_3 == 15.0
    assert load_analytics_config(tmp_path / "missing.yaml") == AnalyticsConfig()
    path.write_text("cost:\n  tier_9: 1\n")
    with pytest.raises(InvalidInput):
        load_analytics_config(path)


def test_queue_service_level_and_speed_of_answer() -> None:
    queue = kpis(standard_log())["operations"]["queue"]
    # waits: c2 15 s, c3 60 s, c5 unanswered -> 1 of 3 within 20 s.
    assert queue["queued"] == 3 and queue["answered"] == 2 and queue["unanswered"] == 1
    assert queue["answered_within_target"] == 1 and queue["service_level"] == 0.3333
    assert queue["average_speed_of_answer_seconds"] == 37.5


def test_agent_occupancy() -> None:
    agents = {a["agent_id"]: a for a in kpis(standard_log())["operations"]["agents"]}
    # A1: c2 25..325 and c3 100..701 -> handled 300 + 601, busy 25..701 = 676, span 676.
    a1 = agents["A1"]
    assert a1["conversations"] == 2 and a1["resolved"] == 2
    assert a1["handled_seconds"] == 901 and a1["busy_seconds"] == 676
    assert a1["occupancy"] == 1.0 and a1["average_concurrency"] == round(901 / 676, 4)
    assert agents["A2"]["handled_seconds"] == 39 and agents["A2"]["resolved"] == 0


def test_filters() -> None:
    log = standard_log()
    assert kpis(log, channel="email")["volume"]["conversations"] == 1
    assert kpis(log, tier=1)["volume"]["conversations"] == 2
    assert kpis(log, intent="refund")["volume"]["conversations"] == 2
    assert kpis(log, intent="billing")["volume"]["conversations"] == 1  # not human_agent
    assert kpis(log, agent_id="A1")["volume"]["conversations"] == 2
    assert kpis(log, agent_id="A2")["volume"]["conversations"] == 1


def test_time_window_selects_by_start_and_recontacts_look_past_it() -> None:
    q = KpiQuery(start=T0, end=T0 + timedelta(days=1))
    k = compute_kpis(standard_log().sorted(), q)
    assert k["volume"]["conversations"] == 4  # c4 started on day 2
    # c4 is outside the window but still counts as c1's re-contact.
    assert k["customer_experience"]["first_contact_resolution"]["recontacts"] == 1


def test_supervisor_takeover_from_the_ai_is_an_escalation() -> None:
    log = Log().created("c1", 0, "alex").turn("c1", 1, intent="order_status")
    log.assigned("c1", 30, "S1", via="takeover")
    log.add("c1", "conversation.taken_over", 30, from_status="bot").resolved("c1", 90, "S1")
    k = kpis(log)
    assert k["operations"]["ai_containment"]["contained"] == 0
    assert k["customer_experience"]["escalation"]["reasons"] == {"supervisor_takeover": 1}
    assert k["operations"]["queue"]["queued"] == 0
    assert k["customer_experience"]["average_handle_time"]["seconds"] == 60


def test_empty_log() -> None:
    k = kpis(Log())
    assert k["volume"]["conversations"] == 0
    assert k["operations"]["cost"]["blended_per_contact"] is None
    assert k["customer_experience"]["csat"]["average"] is None
