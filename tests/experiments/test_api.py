"""Experiments end to end: a rollout of a more sensitive escalation threshold (the negative
sentiment line raised from -0.6 to +0.5, so even neutral messages count as upset) runs through
the real pipeline for half the customers, its escalation guardrail breaks, and the rollout is
rolled back automatically, after which those customers get the default policy again."""

from __future__ import annotations

from typing import Any

from tests.support import Api

QUESTION = "What are your opening hours?"
EMAILS = [f"shopper{i:02d}@example.com" for i in range(24)]


def events_of(api: Api, token: str, conv: dict[str, Any]) -> list[dict[str, Any]]:
    r = api.staff(token, "GET", f"/api/v1/conversations/{conv['id']}")
    return r.json()["events"]  # type: ignore[no-any-return]


def rollout_body(**kw: Any) -> dict[str, Any]:
    return {
        "name": "touchy-sentiment",
        "kind": "rollout",
        "treatment": {"sentiment": {"negative_below": 0.5}},
        "rollout": {"steps": [0.5, 1.0], "min_samples_per_step": 5, "min_minutes_per_step": 0},
        "guardrails": [{"metric": "escalation_rate", "max_increase": 0.1}],
        "min_samples": 5,
        **kw,
    }


def test_a_guardrail_breach_rolls_the_rollout_back(api: Api) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    r = api.staff(sup, "POST", "/api/v1/experiments", json=rollout_body())
    assert r.status_code == 201, r.text
    exp = r.json()
    assert exp["status"] == "running" and exp["treatment_share"] == 0.5

    arms: dict[str, str] = {}
    for email in EMAILS:
        conv = api.start(email, "Shopper")
        turn = api.say(conv, QUESTION).json()
        [assigned] = [e for e in events_of(api, sup, conv) if e["type"] == "experiment.assigned"]
        assert assigned["data"]["experiment_id"] == exp["id"]
        arm = arms[email] = assigned["data"]["arm"]
        # The arm's policy ran: its threshold hands the (neutral) question to a person.
        expected = "queued" if arm == "treatment" else "bot"
        assert turn["conversation"]["status"] == expected, (arm, turn["conversation"])
    assert set(arms.values()) == {"treatment", "control"}

    # Reading it evaluates it: escalations rose far beyond +10 points, significantly.
    r = api.staff(sup, "GET", f"/api/v1/experiments/{exp['id']}")
    assert r.status_code == 200, r.text
    after = r.json()
    assert after["status"] == "rolled_back" and after["treatment_share"] == 0.0
    assert "escalation_rate" in after["stop_reason"]
    ev = after["evaluation"]
    assert ev["arms"]["treatment"]["metrics"]["escalation_rate"] == 1.0
    assert ev["arms"]["control"]["metrics"]["escalation_rate"] == 0.0
    assert ev["breached"][0]["metric"] == "escalation_rate"
    assert ev["comparisons"]["treatment"]["containment"]["p_value"] < 0.05

    # The full analytics KPIs, cut by arm.
    r = api.staff(sup, "GET", f"/api/v1/experiments/{exp['id']}/kpis", params={"arm": "treatment"})
    assert r.status_code == 200, r.text
    kpis = r.json()
    assert kpis["volume"]["conversations"] == list(arms.values()).count("treatment")
    assert kpis["customer_experience"]["escalation"]["reasons"] == {
        "negative_sentiment": kpis["volume"]["conversations"]
    }
    r = api.staff(sup, "GET", f"/api/v1/experiments/{exp['id']}/kpis", params={"arm": "nope"})
    assert r.status_code == 404

    # Rolled back: a customer who was in the treatment is served by the default policy.
    treated = next(e for e, a in arms.items() if a == "treatment")
    conv = api.start(treated, "Shopper")
    assert api.say(conv, QUESTION).json()["conversation"]["status"] == "bot"
    assert not [e for e in events_of(api, sup, conv) if e["type"] == "experiment.assigned"]

    listed = api.staff(sup, "GET", "/api/v1/experiments").json()["items"]
    assert [(e["name"], e["status"]) for e in listed] == [("touchy-sentiment", "rolled_back")]
    # Already over: stopping again is a conflict, not a 500.
    r = api.staff(sup, "POST", f"/api/v1/experiments/{exp['id']}/stop", json={})
    assert r.status_code == 409


def test_ab_experiment_create_stop_and_bad_input(api: Api) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    body = {
        "name": "greeting-copy",
        "arms": [
            {"name": "control", "share": 0.5},
            {
                "name": "friendly",
                "share": 0.5,
                "overrides": {"smalltalk": {"thanks": "Any time! Anything else?"}},
            },
        ],
        "guardrails": [{"metric": "csat", "max_decrease": 0.5}],
    }
    r = api.staff(sup, "POST", "/api/v1/experiments", json=body)
    assert r.status_code == 201, r.text
    exp = r.json()
    assert exp["kind"] == "ab" and [a["name"] for a in exp["arms"]] == ["control", "friendly"]
    assert api.staff(sup, "POST", "/api/v1/experiments", json=body).status_code == 409  # name

    bad = [
        {**body, "name": "x1", "arms": [{"name": "control", "share": 1.0}]},
        {**body, "name": "x2", "arms": [{"name": "a", "share": 0.7}, {"name": "b", "share": 0.7}]},
        {**body, "name": "x3", "arms": [{"name": "control", "share": 0.5},
                                         {"name": "b", "share": 0.5,
                                          "overrides": {"confidence_threshold": 2}}]},
        {**body, "name": "x4", "arms": [{"name": "control", "share": 0.5},
                                         {"name": "b", "share": 0.5,
                                          "overrides": {"assignment_strategy": "random"}}]},
        {**body, "name": "x5", "guardrails": [{"metric": "happiness", "max_increase": 1}]},
        rollout_body(name="x6", treatment={}),
        {**body, "name": "Bad Name!"},
    ]  # fmt: skip
    for b in bad:
        r = api.staff(sup, "POST", "/api/v1/experiments", json=b)
        assert r.status_code == 422, (b["name"], r.text)

    agent = api.login("agent@example.com", "demo-agent")
    assert api.staff(agent, "GET", "/api/v1/experiments").status_code == 403
    assert api.staff(agent, "POST", "/api/v1/experiments", json=body).status_code == 403
    assert api.staff(sup, "GET", "/api/v1/experiments/nope").status_code == 404
    r = api.staff(sup, "POST", f"/api/v1/experiments/{exp['id']}/rollback", json={})
    assert r.status_code == 422  # an A/B test is stopped, not rolled back

    r = api.staff(sup, "POST", f"/api/v1/experiments/{exp['id']}/stop", json={"reason": "done"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "stopped" and r.json()["stop_reason"].startswith("done")


def test_an_arm_can_set_the_assignment_strategy(api: Api) -> None:
    """Dispatch routes the treatment arm's conversations with the predictive strategy (no
    model in this server: it falls back and records why) and control's with the default."""
    sup = api.login("supervisor@example.com", "demo-supervisor")
    body = {
        "name": "predictive-routing",
        "arms": [
            {"name": "control", "share": 0.5},
            {
                "name": "predictive",
                "share": 0.5,
                "overrides": {"assignment_strategy": "predictive"},
            },
        ],
    }
    assert api.staff(sup, "POST", "/api/v1/experiments", json=body).status_code == 201
    alice = api.login("agent@example.com", "demo-agent")
    desk = api.agent_ws(alice)
    try:
        api.staff(alice, "PUT", "/api/v1/agents/me/status", json={"status": "available"})
        seen = set()
        for i in range(12):
            conv = api.start(f"routed{i:02d}@example.com", "Shopper")
            assert api.say(conv, "agent").is_success
            read = api.staff(sup, "GET", f"/api/v1/conversations/{conv['id']}").json()
            assert read["status"] == "assigned"  # dispatched before the answer returned
            events = read["events"]
            [arm] = [e["data"]["arm"] for e in events if e["type"] == "experiment.assigned"]
            decided = [e["data"] for e in events if e["type"] == "assignment.decided"]
            if arm == "predictive":
                assert len(decided) == 1 and decided[0]["fallback_reason"] == "model_missing"
            else:
                assert decided == []
            seen.add(arm)
            api.staff(alice, "POST", f"/api/v1/conversations/{conv['id']}/resolve")
        assert seen == {"control", "predictive"}
    finally:
        desk.close()


VARIANT_PROMPT = "Happy to look that up! Could you tell me your order number?"


def test_an_arm_can_try_a_flow_variant(api: Api) -> None:
    """A flow variant is a policy override (``flow_variants``): the treatment arm's customers
    get the order-status flow with another question; control keeps the packaged one."""
    sup = api.login("supervisor@example.com", "demo-supervisor")
    steps = [
        {"action": "find_customer_order"},
        {
            "collect": "order_number",
            "entity": "order_number",
            "prompt": VARIANT_PROMPT,
            "validate": "check_order_owner",
        },
        {"action": "report_order"},
    ]
    body = {
        "name": "order-status-wording",
        "arms": [
            {"name": "control", "share": 0.5},
            {
                "name": "friendlier",
                "share": 0.5,
                "overrides": {"flow_variants": {"order_status": {"steps": steps}}},
            },
        ],
    }
    assert api.staff(sup, "POST", "/api/v1/experiments", json=body).status_code == 201
    bad = {**body, "name": "broken", "arms": [
        {"name": "control", "share": 0.5},
        {"name": "typo", "share": 0.5, "overrides": {"flow_variants": {"order_stat": {}}}},
    ]}  # fmt: skip
    r = api.staff(sup, "POST", "/api/v1/experiments", json=bad)
    assert r.status_code == 422 and "order_stat" in r.text
    seen: dict[str, set[bool]] = {}
    for i in range(12):
        conv = api.start(f"wording{i:02d}@example.com", "Shopper")
        reply = api.say(conv, "Where is my order?").json()
        asked = " ".join(m["text"] for m in reply["messages"] if m["author"] == "ai")
        read = api.staff(sup, "GET", f"/api/v1/conversations/{conv['id']}").json()
        [arm] = [e["data"]["arm"] for e in read["events"] if e["type"] == "experiment.assigned"]
        seen.setdefault(arm, set()).add(VARIANT_PROMPT in asked)
    assert seen == {"control": {False}, "friendlier": {True}}
