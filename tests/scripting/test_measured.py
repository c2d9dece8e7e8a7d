"""Script adherence measured: per agent, team and script, in the quality report and
its own endpoint; an experiment whose arms pick two scripts gives each arm its script in the
desk, and the adherence of the two compares."""

from __future__ import annotations

from typing import Any

from tests.support import Api

SCRIPTS = "/api/v1/scripts"
WINDOW = {"from": "2026-12-08", "to": "2026-12-08"}
SHORT = {
    "name": "refund_short",
    "intents": ["refund_status", "returns_policy"],
    "steps": [
        {
            "id": "order",
            "kind": "ask",
            "text": "Order number?",
            "entity": "order_number",
            "required": True,
        },
        {"id": "tell", "kind": "disclosure", "text": "Refunds take 5 to 10 business days."},
    ],
}


def _worked(api: Api, token: str, email: str, *, order: bool) -> dict[str, Any]:
    conv = api.start(email, "Refund Customer")
    assert api.say(conv, "I want a refund for my order").status_code == 200
    if order:
        assert api.say(conv, "it is order 1001").status_code == 200
    r = api.say(conv, "agent")
    assert r.json()["conversation"]["status"] in ("queued", "assigned"), r.text
    assert api.staff(token, "POST", f"/api/v1/conversations/{conv['id']}/accept").status_code == 200
    return conv


def _resolve(api: Api, token: str, conv: dict[str, Any]) -> None:
    r = api.staff(token, "POST", f"/api/v1/conversations/{conv['id']}/resolve")
    assert r.status_code == 200, r.text


def test_adherence_per_agent_team_and_script_in_the_quality_report(api: Api) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    alice = api.login("agent@example.com", "demo-agent")
    # One refund with the order number given (1 of 3 required steps), one without (0 of 3).
    _resolve(api, alice, _worked(api, alice, "one@example.com", order=True))
    _resolve(api, alice, _worked(api, alice, "two@example.com", order=False))

    r = api.staff(sup, "GET", f"{SCRIPTS}/adherence", params=WINDOW)
    assert r.status_code == 200, r.text
    report = r.json()
    (agent,) = report["agents"]
    assert agent["name"] == "Alice Agent" and agent["conversations"] == 2
    assert agent["adherence"] == round((1 / 3 + 0) / 2, 3)
    teams = {t["team"] for t in report["teams"]}
    assert teams  # Alice's teams (or "(no team)")
    (script,) = report["scripts"]
    assert script["script"] == "refund"
    assert script["missed_steps"] == {"order": 1, "disclosure": 2, "refund": 2}
    assert api.staff(alice, "GET", f"{SCRIPTS}/adherence", params=WINDOW).status_code == 403

    quality = api.staff(sup, "GET", "/api/v1/quality/agents", params=WINDOW)
    assert quality.status_code == 200, quality.text
    assert quality.json()["script_adherence"]["agents"] == report["agents"]
    # ...and in the KPI report, for the same window.
    kpis = api.staff(sup, "GET", "/api/v1/analytics/kpis", params=WINDOW)
    assert kpis.status_code == 200, kpis.text
    in_kpis = kpis.json()["operations"]["script_adherence"]
    assert in_kpis["agents"] == report["agents"] and in_kpis["scripts"] == report["scripts"]


def test_an_experiment_compares_two_scripts(api: Api) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    alice = api.login("agent@example.com", "demo-agent")
    assert api.staff(sup, "POST", SCRIPTS, json={"spec": SHORT}).status_code == 201
    body = {
        "name": "refund-scripts",
        "arms": [
            {"name": "control", "share": 0.5, "overrides": {"script": "refund"}},
            {"name": "short", "share": 0.5, "overrides": {"script": "refund_short"}},
        ],
    }
    r = api.staff(sup, "POST", "/api/v1/experiments", json=body)
    assert r.status_code == 201, r.text
    bad = {
        **body,
        "name": "bad-script",
        "arms": [body["arms"][0], {**body["arms"][1], "overrides": {"script": 7}}],
    }
    assert api.staff(sup, "POST", "/api/v1/experiments", json=bad).status_code == 422

    seen: dict[str, str] = {}
    # Customers are split between the arms at random: go on until both have had some (eight
    # left one arm empty about once in a hundred runs).
    for i in range(24):
        if i >= 8 and set(seen) == {"control", "short"}:
            break
        conv = _worked(api, alice, f"arm{i}@example.com", order=True)
        state = api.staff(sup, "GET", f"/api/v1/conversations/{conv['id']}").json()
        (assigned,) = [e for e in state["events"] if e["type"] == "experiment.assigned"]
        arm = assigned["data"]["arm"]
        script = api.staff(alice, "GET", f"{SCRIPTS}/conversations/{conv['id']}").json()["script"]
        assert script["name"] == {"control": "refund", "short": "refund_short"}[arm]
        seen[arm] = script["name"]
        _resolve(api, alice, conv)
    assert set(seen) == {"control", "short"}

    report = api.staff(sup, "GET", f"{SCRIPTS}/adherence", params=WINDOW).json()
    by_script = {s["script"]: s for s in report["scripts"]}
    assert set(by_script) == {"refund", "refund_short"}
    # The order number was given and nothing else: 1 of the 3 required steps of "refund", 1 of
    # the 2 of "refund_short".
    assert by_script["refund"]["adherence"] == round(1 / 3, 3)
    assert by_script["refund_short"]["adherence"] == 0.5
