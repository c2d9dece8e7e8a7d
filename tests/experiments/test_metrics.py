"""Per-arm metrics from a hand-built event log, and what an evaluation does to an experiment:
a guardrail breach stops an A/B test and rolls a rollout back; a healthy rollout steps up."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hybridcx.experiments.metrics import arm_metrics
from hybridcx.experiments.service import apply, assess, treatment_share
from hybridcx.models import Experiment
from tests.analytics.eventlog import T0, Log

NOW = T0 + timedelta(days=10)


def hand_built() -> tuple[Log, dict[str, str]]:
    """Control: 4 conversations, 1 escalated (handled 300 s, CSAT 5), 3 contained.
    Treatment: 4 conversations, 3 escalated (handled 600/900/300 s, CSAT 2, 4), 1 contained;
    and the customer of t1 came back two days later (t5), so t1 was not resolved first time."""
    log, arm = Log(), {}
    for i in range(4):
        c = f"c{i}"
        arm[c] = "control"
        log.created(c, i * 100, f"cust-c{i}").turn(c, i * 100 + 1, intent="order_status")
    log.queued("c0", 10, reasons=["customer_request"]).assigned("c0", 40, "ann")
    log.resolved("c0", 340, "ann").survey("c0", 400, 5)
    for i, handle in enumerate((600, 900, 300)):
        c = f"t{i}"
        arm[c] = "treatment"
        start = 1000 + i * 100
        log.created(c, start, f"cust-t{i}").turn(c, start + 1, intent="order_status")
        log.queued(c, start + 2, reasons=["low_confidence"]).assigned(c, start + 62, "bob")
        log.resolved(c, start + 62 + handle, "bob")
    log.survey("t0", 2000, 2).survey("t1", 2100, 4)
    log.created("t3", 1500, "cust-t3").turn("t3", 1501, intent="order_status")
    arm["t3"] = "treatment"
    log.created("t5", 1100 + 2 * 86_400, "cust-t1")
    arm["t5"] = "treatment"
    return log, arm


def test_metrics_per_arm_from_the_event_log() -> None:
    log, arm_of = hand_built()
    m = arm_metrics(log.sorted(), arm_of, arms=["control", "treatment"], start=T0, now=NOW)
    c, t = m["control"]["summary"], m["treatment"]["summary"]
    assert m["control"]["conversations"] == 4 and m["treatment"]["conversations"] == 5
    assert c["containment"] == 0.75 and c["escalation_rate"] == 0.25
    assert t["containment"] == 0.4 and t["escalation_rate"] == 0.6
    assert c["csat"] == 5 and t["csat"] == 3
    assert c["handle_seconds"] == 300 and t["handle_seconds"] == 600
    assert c["resolution"] == 1.0
    assert t["resolution"] == pytest.approx(4 / 5)  # t1's customer came back (t5)
    # The same numbers the analytics KPIs give for the arm's conversations.
    kpis = m["treatment"]["kpis"]
    assert kpis["operations"]["ai_containment"]["rate"] == t["containment"]
    assert kpis["customer_experience"]["average_handle_time"]["seconds"] == 600


def experiment(kind: str = "ab", **kw: object) -> Experiment:
    arms = (
        [{"name": "control", "share": 0.5, "overrides": {}},
         {"name": "treatment", "share": 0.5, "overrides": {"confidence_threshold": 1.0}}]
        if kind == "ab"
        else [{"name": "treatment", "share": 0.1, "overrides": {"confidence_threshold": 1.0}},
              {"name": "control", "share": 0.9, "overrides": {}}]
    )  # fmt: skip
    values = {
        "id": "exp-1",
        "workspace_id": "ws",
        "name": "strict",
        "kind": kind,
        "status": "running",
        "arms": arms,
        "guardrails": [{"metric": "escalation_rate", "max_increase": 0.05}],
        "alpha": 0.05,
        "min_samples": 20,
        "started_at": T0,
        "created_at": T0,
        "rollout": None,
        **kw,
    }
    return Experiment(**values)


def traffic(escalated: dict[str, int], n: int = 40) -> tuple[list, dict[str, str]]:
    """``n`` conversations per arm, the first ``escalated[arm]`` of them handed to a person."""
    log, arm_of = Log(), {}
    for a, k in escalated.items():
        for i in range(n):
            c = f"{a}-{i}"
            arm_of[c] = a
            log.created(c, i, f"cust-{c}").turn(c, i + 0.5, intent="order_status")
            if i < k:
                log.queued(c, i + 0.6, reasons=["low_confidence"])
    return log.sorted(), arm_of


def test_guardrail_breach_stops_an_ab_experiment() -> None:
    exp = experiment("ab")
    events, arm_of = traffic({"control": 4, "treatment": 30})
    result = assess(exp, arm_of, events, now=NOW)
    assert result["comparisons"]["treatment"]["escalation_rate"]["difference"] == pytest.approx(
        0.65
    )
    [g] = result["guardrails"]
    assert g["breached"] is True and g["p_value"] <= 0.05
    assert apply(exp, result, now=NOW) == "stopped"
    assert exp.status == "stopped" and "escalation_rate" in (exp.stop_reason or "")


def test_guardrail_waits_for_min_samples_and_ignores_noise() -> None:
    exp = experiment("ab")
    events, arm_of = traffic({"control": 1, "treatment": 5}, n=10)  # below min_samples
    result = assess(exp, arm_of, events, now=NOW)
    assert result["guardrails"][0]["status"] == "collecting"
    assert apply(exp, result, now=NOW) is None and exp.status == "running"
    events, arm_of = traffic({"control": 8, "treatment": 10})  # +5 points: noise, not a breach
    result = assess(exp, arm_of, events, now=NOW)
    assert result["guardrails"][0]["breached"] is False and apply(exp, result, now=NOW) is None


def plan(**kw: object) -> dict[str, object]:
    return {
        "steps": [0.1, 0.5, 1.0],
        "min_samples_per_step": 20,
        "min_minutes_per_step": 60,
        "step": 0,
        "step_started_at": T0.isoformat(),
        **kw,
    }


def test_guardrail_breach_rolls_a_rollout_back() -> None:
    exp = experiment("rollout", rollout=plan())
    events, arm_of = traffic({"control": 4, "treatment": 30})
    assert apply(exp, assess(exp, arm_of, events, now=NOW), now=NOW) == "rolled_back"
    assert exp.status == "rolled_back" and treatment_share(exp) == 0.0
    assert {a["name"]: a["share"] for a in exp.arms} == {"treatment": 0.0, "control": 1.0}


def test_a_healthy_rollout_steps_up_after_enough_samples_and_time() -> None:
    exp = experiment("rollout", rollout=plan())
    events, arm_of = traffic({"control": 4, "treatment": 4})
    early = T0 + timedelta(minutes=30)
    assert apply(exp, assess(exp, arm_of, events, now=early), now=early) is None  # too soon
    assert apply(exp, assess(exp, arm_of, events, now=NOW), now=NOW) == "advanced"
    assert treatment_share(exp) == 0.5 and exp.rollout and exp.rollout["step"] == 1
    # The next step needs new treatment conversations, not the ones already counted.
    later = NOW + timedelta(hours=2)
    assert apply(exp, assess(exp, arm_of, events, now=later), now=later) is None
    assert isinstance(exp.evaluated_at, datetime)
