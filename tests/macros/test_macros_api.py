"""Macros over real HTTP: CRUD by supervisors (audited), clear 422s for unknown
placeholders and bad actions, workspace scoping, and an agent applying one: the reply box text
is filled from the conversation, and on send the reply goes out and each action runs and is
recorded as an event."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.test_isolation import other_workspace  # noqa: F401 (fixture)
from tests.support import Api

MACROS = "/api/v1/macros"


def _queued(api: Api, email: str = "alex@example.com", name: str = "Alex Morgan") -> dict[str, Any]:
    conv = api.start(email, name)
    assert api.say(conv, "I want to talk to an agent about order 1001").status_code == 200
    r = api.say(conv, "agent")
    assert r.json()["conversation"]["status"] in ("queued", "assigned"), r.text
    return conv


def _accept(api: Api, token: str, conv: dict[str, Any]) -> None:
    r = api.staff(token, "POST", f"/api/v1/conversations/{conv['id']}/accept")
    assert r.status_code == 200, r.text


def _events(api: Api, token: str, conv: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    r = api.staff(token, "GET", f"/api/v1/conversations/{conv['id']}")
    assert r.status_code == 200, r.text
    return [e for e in r.json()["events"] if e["type"] == type_]


def test_supervisors_write_macros_agents_read_them_and_every_change_is_audited(api: Api) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    agent = api.login("agent@example.com", "demo-agent")
    admin = api.login("admin@example.com", "demo-admin")

    # The demo company's macros replace the desk's old hard-coded canned responses.
    listed = api.staff(agent, "GET", MACROS).json()
    names = [m["name"] for m in listed["items"]]
    assert {"Greeting", "Refund", "Closing"} <= set(names)
    refund = next(m for m in listed["items"] if m["name"] == "Refund")
    assert refund["actions"] == [{"type": "backend", "action": "cancel_and_refund"}]
    assert "order.id" in listed["placeholders"] and "backend" in listed["action_types"]

    body = {
        "name": "Apology",
        "text": "Sorry for the wait, {{customer.first_name}}. {{agent.name}} here.",
        "actions": [{"type": "set_tier", "tier": 2}, {"type": "note", "text": "apologised"}],
    }
    assert api.staff(agent, "POST", MACROS, json=body).status_code == 403
    r = api.staff(sup, "POST", MACROS, json=body)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["placeholders"] == ["customer.first_name", "agent.name"]
    assert api.staff(sup, "POST", MACROS, json=body).status_code == 409  # same name

    r = api.staff(
        sup, "PUT", f"{MACROS}/{created['id']}", json={**body, "actions": [{"type": "resolve"}]}
    )
    assert r.status_code == 200 and r.json()["actions"] == [{"type": "resolve"}]
    assert api.staff(agent, "GET", f"{MACROS}/{created['id']}").json()["actions"] == [
        {"type": "resolve"}
    ]
    assert api.staff(agent, "DELETE", f"{MACROS}/{created['id']}").status_code == 403
    assert api.staff(sup, "DELETE", f"{MACROS}/{created['id']}").status_code == 204
    assert api.staff(sup, "GET", f"{MACROS}/{created['id']}").status_code == 404

    audit = api.staff(admin, "GET", "/api/v1/audit", params={"target": created["id"]})
    assert audit.status_code == 200, audit.text
    actions = [e["action"] for e in audit.json()["items"] if e["target_id"] == created["id"]]
    assert sorted(actions) == ["macro.created", "macro.deleted", "macro.updated"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"text": "Hi {{customer.nmae}}"}, "Unknown placeholder {{customer.nmae}}"),
        ({"text": "Hi {{customer.name"}, "unclosed placeholder"),
        ({"actions": [{"type": "tag"}]}, "tag is required"),
        ({"actions": [{"type": "tag", "tag": "Not a tag!"}]}, "Invalid tag 'Not a tag!'"),
        ({"actions": [{"type": "set_tier", "tier": 7}]}, "tier must be one of 1, 2, 3"),
        ({"actions": [{"type": "note"}]}, "text is required"),
        ({"actions": [{"type": "backend", "action": "drop_tables"}]}, "action must be one of"),
        ({"actions": [{"type": "resolve"}, {"type": "set_tier", "tier": 2}]}, "must be the last"),
        ({"actions": [{"type": "set_tier", "tier": 2, "colour": "red"}]}, "unknown field 'colour'"),
        ({"text": "", "actions": []}, "reply text or at least one action"),
    ],
)
def test_bad_macros_are_refused_with_a_clear_422(
    api: Api, body: dict[str, Any], message: str
) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    r = api.staff(sup, "POST", MACROS, json={"name": "Bad", "text": "Hello", **body})
    assert r.status_code == 422, r.text
    assert message in r.json()["detail"]


def test_macros_are_scoped_to_their_workspace(api: Api, other_workspace: str) -> None:  # noqa: F811
    sup = api.login("supervisor@example.com", "demo-supervisor")
    mine = api.staff(sup, "GET", MACROS).json()["items"][0]
    # Olga (admin of another company) sees none of ours, and cannot read, change or apply one.
    assert api.staff(other_workspace, "GET", MACROS).json()["items"] == []
    path = f"{MACROS}/{mine['id']}"
    assert api.staff(other_workspace, "GET", path).status_code == 404
    body = {"name": "Mine now", "text": "x"}
    assert api.staff(other_workspace, "PUT", path, json=body).status_code == 404
    assert api.staff(other_workspace, "DELETE", path).status_code == 404
    conv = _queued(api)
    r = api.staff(
        other_workspace, "POST", f"{path}/apply", json={"conversation_id": conv["id"], "text": "x"}
    )
    assert r.status_code == 404
    # Her own macro with the same name is fine: names are unique per workspace.
    r = api.staff(other_workspace, "POST", MACROS, json={"name": mine["name"], "text": "Hi"})
    assert r.status_code == 201, r.text
    assert mine["name"] not in [
        m["name"] for m in api.staff(sup, "GET", MACROS).json()["items"] if m["id"] != mine["id"]
    ]


def test_an_agent_applies_a_macro_and_its_actions_run_as_events(api: Api) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    alice = api.login("agent@example.com", "demo-agent")
    macro = api.staff(
        sup,
        "POST",
        MACROS,
        json={
            "name": "Escalate to billing",
            "text": "Hi {{customer.first_name}}, {{agent.name}} here about order {{order.id}}.",
            "actions": [
                {"type": "set_tier", "tier": 3},
                {"type": "note", "text": "{{customer.name}} needs billing"},
                {"type": "transfer", "skill": "billing"},
            ],
        },
    ).json()
    conv = _queued(api)
    _accept(api, alice, conv)

    r = api.staff(
        alice, "GET", f"{MACROS}/{macro['id']}/render", params={"conversation_id": conv["id"]}
    )
    assert r.status_code == 200, r.text
    assert r.json()["text"] == "Hi Alex, Alice Agent here about order 1001."
    assert r.json()["missing"] == []

    # The agent edits the text before sending; what is sent is what they wrote.
    r = api.staff(
        alice,
        "POST",
        f"{MACROS}/{macro['id']}/apply",
        json={"conversation_id": conv["id"], "text": "Hi Alex, Alice here about order 1001!"},
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["message"]["text"] == "Hi Alex, Alice here about order 1001!"
    assert [(a["type"], a["status"]) for a in out["actions"]] == [
        ("set_tier", "done"),
        ("note", "done"),
        ("transfer", "done"),
    ]
    state = api.staff(sup, "GET", f"/api/v1/conversations/{conv['id']}").json()
    assert state["tier"] == 3 and state["status"] == "queued"
    texts = [(m["text"], m["internal"]) for m in state["messages"]]
    assert ("Hi Alex, Alice here about order 1001!", False) in texts
    assert ("Alex Morgan needs billing", True) in texts
    events = _events(api, sup, conv, "macro.action")
    assert [(e["data"]["action"], e["data"]["status"]) for e in events] == [
        ("set_tier", "done"),
        ("note", "done"),
        ("transfer", "done"),
    ]
    assert all(
        e["actor"] == "agent" and e["data"]["macro"] == "Escalate to billing" for e in events
    )
    # The customer saw the reply, never the note.
    mine = api.http.get(
        f"/api/v1/conversations/{conv['id']}",
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    ).json()
    customer_texts = [m["text"] for m in mine["messages"]]
    assert "Hi Alex, Alice here about order 1001!" in customer_texts
    assert "Alex Morgan needs billing" not in customer_texts


def test_the_refund_macro_runs_the_real_action_or_says_it_waits_for_approval(api: Api) -> None:
    alice = api.login("agent@example.com", "demo-agent")
    sup = api.login("supervisor@example.com", "demo-supervisor")
    refund = next(
        m for m in api.staff(alice, "GET", MACROS).json()["items"] if m["name"] == "Refund"
    )
    conv = _queued(api)
    _accept(api, alice, conv)
    text = api.staff(
        alice, "GET", f"{MACROS}/{refund['id']}/render", params={"conversation_id": conv["id"]}
    ).json()["text"]
    assert "order 1001" in text
    r = api.staff(
        alice,
        "POST",
        f"{MACROS}/{refund['id']}/apply",
        json={"conversation_id": conv["id"], "text": text},
    )
    assert r.status_code == 200, r.text
    (outcome,) = r.json()["actions"]
    # Order 1001 is $113.50, above the demo's $50 approval limit: held, and the customer is told.
    assert outcome["status"] == "done" and outcome["result"]["status"] == "pending"
    approval_id = outcome["result"]["approval_id"]
    state = api.staff(alice, "GET", f"/api/v1/conversations/{conv['id']}").json()
    assert any(
        m["author"] == "system" and "sent for approval" in m["text"] for m in state["messages"]
    )
    (event,) = _events(api, sup, conv, "macro.action")
    assert event["data"]["status"] == "pending" and event["data"]["action"] == "backend"
    # The supervisor approves it and the refund really runs (the same runner as the AI's flows).
    r = api.staff(sup, "POST", f"/api/v1/approvals/{approval_id}/approve", json={})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "executed" and r.json()["result"]["refund_reference"]


def test_a_macro_whose_order_is_unknown_records_the_action_as_failed(api: Api) -> None:
    alice = api.login("agent@example.com", "demo-agent")
    refund = next(
        m for m in api.staff(alice, "GET", MACROS).json()["items"] if m["name"] == "Refund"
    )
    conv = api.start("jordan.reed@example.com", "Jordan Reed")
    api.say(conv, "agent")
    api.say(conv, "agent please")
    _accept(api, alice, conv)
    r = api.staff(
        alice, "GET", f"{MACROS}/{refund['id']}/render", params={"conversation_id": conv["id"]}
    )
    assert r.json()["missing"] == ["order.id"] and "{{order.id}}" in r.json()["text"]
    r = api.staff(
        alice,
        "POST",
        f"{MACROS}/{refund['id']}/apply",
        json={"conversation_id": conv["id"], "text": ""},
    )
    assert r.status_code == 200, r.text
    assert r.json()["message"] is None
    (outcome,) = r.json()["actions"]
    assert outcome["result"] == {"ok": False, "reason": "no order number in this conversation"}
    # Applying to a conversation of nobody's workspace, or an unknown macro: 404, not 500.
    missing = api.staff(
        alice, "POST", f"{MACROS}/nope/apply", json={"conversation_id": conv["id"], "text": "x"}
    )
    assert missing.status_code == 404
    r = api.staff(
        alice,
        "POST",
        f"{MACROS}/{refund['id']}/apply",
        json={"conversation_id": "nope", "text": "x"},
    )
    assert r.status_code == 404


def test_the_goodbye_macro_resolves_and_the_application_is_audited(api: Api) -> None:
    alice = api.login("agent@example.com", "demo-agent")
    admin = api.login("admin@example.com", "demo-admin")
    bye = next(
        m for m in api.staff(alice, "GET", MACROS).json()["items"] if m["name"] == "Solved, goodbye"
    )
    conv = _queued(api)
    _accept(api, alice, conv)
    path = f"{MACROS}/{bye['id']}"
    text = api.staff(alice, "GET", f"{path}/render", params={"conversation_id": conv["id"]}).json()
    assert text["text"] == "Glad I could help, Alex. Thanks for contacting Northwind Goods!"
    r = api.staff(
        alice, "POST", f"{path}/apply", json={"conversation_id": conv["id"], "text": text["text"]}
    )
    assert r.status_code == 200, r.text
    assert [(a["type"], a["status"]) for a in r.json()["actions"]] == [("resolve", "done")]
    state = api.staff(admin, "GET", f"/api/v1/conversations/{conv['id']}").json()
    assert state["status"] == "resolved"
    assert [e["data"]["action"] for e in state["events"] if e["type"] == "macro.action"] == [
        "resolve"
    ]
    audit = api.staff(admin, "GET", "/api/v1/audit", params={"target": conv["id"]}).json()
    (applied,) = [e for e in audit["items"] if e["action"] == "macro.applied"]
    assert applied["details"]["macro"] == "Solved, goodbye"
    assert applied["details"]["actions"] == [{"type": "resolve", "status": "done"}]
    # Applying again to the resolved conversation: the reply is refused, nothing runs.
    again = api.staff(
        alice, "POST", f"{path}/apply", json={"conversation_id": conv["id"], "text": "Bye"}
    )
    assert again.status_code == 409, again.text
