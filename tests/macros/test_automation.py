"""Automation rules over real HTTP: CRUD by supervisors (audited), validation,
workspace scoping; a rule fires once when a VIP's conversation is queued (its actions run and
the firing is in the conversation's timeline, the supervisors are notified on the staff
WebSocket) and once on the "no agent reply" sweep, with the clock given explicitly."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from hybridcx.kit.ids import utcnow
from hybridcx.macros.automation import run_once, sweep_no_reply
from tests.e2e.test_isolation import other_workspace  # noqa: F401 (fixture)
from tests.support import Api, LiveServer, recv_until

RULES = "/api/v1/automation/rules"


def _escalate(api: Api, email: str, name: str) -> dict[str, Any]:
    conv = api.start(email, name)
    r = api.say(conv, "agent")
    if r.json()["conversation"]["status"] != "queued":
        r = api.say(conv, "I want to talk to a person")
    assert r.json()["conversation"]["status"] == "queued", r.text
    return conv


def _read(api: Api, token: str, conv: dict[str, Any]) -> dict[str, Any]:
    r = api.staff(token, "GET", f"/api/v1/conversations/{conv['id']}")
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _fired(api: Api, token: str, conv: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in _read(api, token, conv)["events"] if e["type"] == "automation.fired"]


def test_rules_crud_is_for_supervisors_audited_and_scoped(
    api: Api,
    other_workspace: str,  # noqa: F811
) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    agent = api.login("agent@example.com", "demo-agent")
    admin = api.login("admin@example.com", "demo-admin")
    body = {
        "name": "VIPs to premium",
        "trigger": "conversation.queued",
        "conditions": {"vip": True, "tier": [2, 3]},
        "actions": [{"type": "assign_team", "team": "premium"}],
    }
    assert api.staff(agent, "POST", RULES, json=body).status_code == 403
    assert api.staff(agent, "GET", RULES).status_code == 403
    r = api.staff(sup, "POST", RULES, json=body)
    assert r.status_code == 201, r.text
    rule = r.json()
    assert rule["conditions"] == {"vip": True, "tier": [2, 3]} and rule["enabled"] is True
    assert api.staff(sup, "POST", RULES, json=body).status_code == 409
    r = api.staff(sup, "PUT", f"{RULES}/{rule['id']}", json={**body, "enabled": False})
    assert r.status_code == 200 and r.json()["enabled"] is False
    listed = api.staff(sup, "GET", RULES).json()
    assert [i["id"] for i in listed["items"]] == [rule["id"]]
    assert "no_agent_reply" in listed["triggers"] and "notify" in listed["action_types"]

    # Another company sees none of it.
    assert api.staff(other_workspace, "GET", RULES).json()["items"] == []
    assert api.staff(other_workspace, "GET", f"{RULES}/{rule['id']}").status_code == 404
    assert api.staff(other_workspace, "PUT", f"{RULES}/{rule['id']}", json=body).status_code == 404
    assert api.staff(other_workspace, "DELETE", f"{RULES}/{rule['id']}").status_code == 404

    assert api.staff(sup, "DELETE", f"{RULES}/{rule['id']}").status_code == 204
    audit = api.staff(admin, "GET", "/api/v1/audit", params={"target": rule["id"]}).json()
    assert sorted(e["action"] for e in audit["items"]) == [
        "automation.rule_created",
        "automation.rule_deleted",
        "automation.rule_updated",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"trigger": "conversation.exploded"}, "trigger must be one of"),
        ({"trigger": "no_agent_reply"}, "needs minutes between 1 and 10080"),
        ({"minutes": 5}, "minutes applies only to the no_agent_reply trigger"),
        ({"conditions": {"mood": ["happy"]}}, "unknown condition 'mood'"),
        ({"conditions": {"vip": "yes"}}, "conditions.vip must be true or false"),
        ({"conditions": {"status": ["sleeping"]}}, "conditions.status must be among"),
        ({"actions": []}, "at least one action"),
        ({"actions": [{"type": "delete_customer"}]}, "unknown action type 'delete_customer'"),
        ({"actions": [{"type": "set_priority", "priority": "urgent"}]}, "must be one of high"),
    ],
)
def test_bad_rules_are_refused_with_a_clear_422(
    api: Api, change: dict[str, Any], message: str
) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    body = {
        "name": "Bad",
        "trigger": "conversation.queued",
        "actions": [{"type": "note", "text": "x"}],
        **change,
    }
    r = api.staff(sup, "POST", RULES, json=body)
    assert r.status_code == 422, r.text
    assert message in r.json()["detail"]


def test_a_rule_fires_once_when_a_vip_is_queued(api: Api, server: LiveServer) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    rule = api.staff(
        sup,
        "POST",
        RULES,
        json={
            "name": "VIPs first",
            "trigger": "conversation.queued",
            "conditions": {"vip": True},
            "actions": [
                {"type": "assign_team", "team": "premium"},
                {"type": "set_priority", "priority": "high"},
                {"type": "note", "text": "A VIP is waiting: premium team."},
                {"type": "notify", "text": "A VIP is in the queue."},
                {"type": "webhook"},
            ],
        },
    ).json()
    # A rule on another trigger that must not fire here.
    api.staff(
        sup,
        "POST",
        RULES,
        json={
            "name": "On resolve",
            "trigger": "conversation.resolved",
            "actions": [{"type": "note", "text": "resolved"}],
        },
    )
    staff_ws = api.agent_ws(sup)
    try:
        first = _escalate(api, "jordan.reed@example.com", "Jordan Reed")
        vip = _escalate(api, "vip@example.com", "Vivian VIP")
        server.call(run_once(server.runtime))
        server.call(run_once(server.runtime))  # again: nothing new happens
        notice = recv_until(staff_ws, lambda e: e.get("type") == "automation.notify")
    finally:
        staff_ws.close()
    assert notice["rule"]["name"] == "VIPs first" and notice["conversation_id"] == vip["id"]
    assert notice["text"] == "A VIP is in the queue."

    (fired,) = _fired(api, sup, vip)
    assert fired["actor"] == "system"
    assert fired["data"]["rule_id"] == rule["id"]
    assert fired["data"]["trigger"] == "conversation.queued"
    assert [(a["type"], a["status"]) for a in fired["data"]["actions"]] == [
        ("assign_team", "done"),
        ("set_priority", "done"),
        ("note", "done"),
        ("notify", "done"),
        ("webhook", "done"),
    ]
    state = _read(api, sup, vip)
    assert ("A VIP is waiting: premium team.", True) in [
        (m["text"], m["internal"]) for m in state["messages"]
    ]
    assert [e["type"] for e in state["events"]].count("automation.webhook") == 1
    assert _fired(api, sup, first) == []  # not a VIP
    # The VIP is ahead of the customer who queued first.
    queue = api.staff(sup, "GET", "/api/v1/queue").json()["items"]
    assert [i["conversation_id"] for i in queue][:2] == [vip["id"], first["id"]]
    # The firing's own events do not fire the rule again.
    server.call(run_once(server.runtime))
    assert len(_fired(api, sup, vip)) == 1


def test_a_no_reply_rule_fires_once_on_the_sweep(api: Api, server: LiveServer) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    alice = api.login("agent@example.com", "demo-agent")
    api.staff(
        sup,
        "POST",
        RULES,
        json={
            "name": "Nobody answered",
            "trigger": "no_agent_reply",
            "minutes": 10,
            "conditions": {"status": ["queued", "assigned"]},
            "actions": [{"type": "notify", "text": "No reply for 10 minutes."}],
        },
    )
    conv = _escalate(api, "alex@example.com", "Alex Morgan")
    rt = server.runtime
    now = utcnow()
    assert server.call(sweep_no_reply(rt, now + timedelta(minutes=9))) == 0
    assert _fired(api, sup, conv) == []
    assert server.call(sweep_no_reply(rt, now + timedelta(minutes=11))) == 1
    assert server.call(sweep_no_reply(rt, now + timedelta(minutes=30))) == 0  # once
    (fired,) = _fired(api, sup, conv)
    assert fired["data"]["trigger"] == "no_agent_reply"
    # An agent answers: the conversation is no longer waiting on a reply.
    assert api.staff(alice, "POST", f"/api/v1/conversations/{conv['id']}/accept").status_code == 200
    r = api.staff(
        alice, "POST", f"/api/v1/conversations/{conv['id']}/replies", json={"text": "Hi Alex"}
    )
    assert r.status_code == 200, r.text
    assert server.call(sweep_no_reply(rt, now + timedelta(hours=2))) == 0
    assert len(_fired(api, sup, conv)) == 1


def test_message_and_assignment_rules_fire_once_each_and_only_when_conditions_hold(
    api: Api, server: LiveServer
) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    alice = api.login("agent@example.com", "demo-agent")
    on_message = api.staff(
        sup,
        "POST",
        RULES,
        json={
            "name": "Customer wrote while waiting",
            "trigger": "message.created",
            "conditions": {"status": ["queued"], "channel": ["webchat"]},
            "actions": [{"type": "set_tier", "tier": 3}],
        },
    ).json()
    on_assign = api.staff(
        sup,
        "POST",
        RULES,
        json={
            "name": "Assigned",
            "trigger": "conversation.assigned",
            "actions": [{"type": "note", "text": "Picked up."}],
        },
    ).json()
    conv = _escalate(api, "alex@example.com", "Alex Morgan")
    assert api.say(conv, "hello? anyone there?").status_code == 200
    server.call(run_once(server.runtime))
    fired = _fired(api, sup, conv)
    # Conditions are checked when the engine runs: the conversation is queued by then, so each
    # customer message since the rule was created fires it once.
    assert {f["data"]["rule_id"] for f in fired} == {on_message["id"]}
    assert len({f["data"]["occasion"] for f in fired}) == len(fired)
    assert _read(api, sup, conv)["tier"] == 3
    count = len(fired)
    assert api.staff(alice, "POST", f"/api/v1/conversations/{conv['id']}/accept").status_code == 200
    server.call(run_once(server.runtime))
    server.call(run_once(server.runtime))
    fired = _fired(api, sup, conv)
    assert [f["data"]["rule_id"] for f in fired].count(on_assign["id"]) == 1
    assert len(fired) == count + 1  # the message rule did not fire again
