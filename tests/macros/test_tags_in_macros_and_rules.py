"""Tags in macros and automation rules over real HTTP: a macro's ``tag`` action adds
one of the workspace's tags to the conversation (a ``tag.added`` event, audited as the agent's;
an unknown tag fails with a clear message and the other actions still run); a rule's ``tag``
condition matches when any of the conversation's tags is among the wanted ones."""

from __future__ import annotations

from typing import Any

from hybridcx.macros.automation import run_once
from tests.support import Api, LiveServer

MACROS = "/api/v1/macros"
RULES = "/api/v1/automation/rules"


def _queued(api: Api, email: str, name: str) -> dict[str, Any]:
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


def _tags(api: Api, token: str, conv: dict[str, Any]) -> list[str]:
    r = api.staff(token, "GET", f"/api/v1/conversations/{conv['id']}/tags")
    assert r.status_code == 200, r.text
    return list(r.json()["tags"])


def test_a_macro_tags_the_conversation_and_an_unknown_tag_fails_clearly(api: Api) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    alice = api.login("agent@example.com", "demo-agent")
    admin = api.login("admin@example.com", "demo-admin")
    assert api.staff(sup, "POST", "/api/v1/tags", json={"name": "billing"}).status_code == 201
    r = api.staff(
        sup,
        "POST",
        MACROS,
        json={
            "name": "Billing question",
            "text": "Let me check that invoice for you.",
            # Saved lower-cased: the tag's name is normalised when the macro is saved.
            "actions": [{"type": "tag", "tag": "Billing"}, {"type": "tag", "tag": "ghost"}],
        },
    )
    assert r.status_code == 201, r.text
    macro = r.json()
    assert macro["actions"][0] == {"type": "tag", "tag": "billing"}
    conv = _queued(api, "alex@example.com", "Alex Morgan")
    assert api.staff(alice, "POST", f"/api/v1/conversations/{conv['id']}/accept").status_code == 200

    r = api.staff(
        alice,
        "POST",
        f"{MACROS}/{macro['id']}/apply",
        json={"conversation_id": conv["id"], "text": "Let me check that invoice for you."},
    )
    assert r.status_code == 200, r.text
    outcomes = r.json()["actions"]
    assert [(a["type"], a["status"]) for a in outcomes] == [("tag", "done"), ("tag", "failed")]
    assert "Unknown tag 'ghost'" in outcomes[1]["error"]
    assert _tags(api, sup, conv) == ["billing"]

    state = _read(api, sup, conv)
    added = [e for e in state["events"] if e["type"] == "tag.added"]
    assert [(e["data"]["tag"], e["actor"]) for e in added] == [("billing", "agent")]
    recorded = [
        (e["data"]["action"], e["data"]["status"])
        for e in state["events"]
        if e["type"] == "macro.action"
    ]
    assert recorded == [("tag", "done"), ("tag", "failed")]
    audit = api.staff(admin, "GET", "/api/v1/audit", params={"target": conv["id"]}).json()
    assert "conversation.tagged" in [e["action"] for e in audit["items"]]

    # Applying it again changes nothing (the tag is there already) and still succeeds.
    r = api.staff(
        alice,
        "POST",
        f"{MACROS}/{macro['id']}/apply",
        json={"conversation_id": conv["id"], "text": ""},
    )
    assert r.status_code == 200 and r.json()["actions"][0]["status"] == "done"
    assert _tags(api, sup, conv) == ["billing"]


def test_a_rule_with_a_tag_condition_fires_only_on_tagged_conversations(
    api: Api, server: LiveServer
) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    for name in ("urgent", "refund"):
        assert api.staff(sup, "POST", "/api/v1/tags", json={"name": name}).status_code == 201
    bad = api.staff(
        sup,
        "POST",
        RULES,
        json={
            "name": "Bad",
            "trigger": "message.created",
            "conditions": {"tag": []},
            "actions": [{"type": "note", "text": "x"}],
        },
    )
    assert bad.status_code == 422 and "conditions.tag needs at least one value" in bad.text
    rule = api.staff(
        sup,
        "POST",
        RULES,
        json={
            "name": "Urgent waiting",
            "trigger": "message.created",
            "conditions": {"tag": ["urgent", "escalated"], "status": ["queued"]},
            "actions": [{"type": "set_tier", "tier": 3}],
        },
    )
    assert rule.status_code == 201, rule.text
    assert rule.json()["conditions"]["tag"] == ["urgent", "escalated"]

    tagged = _queued(api, "alex@example.com", "Alex Morgan")
    other = _queued(api, "jordan.reed@example.com", "Jordan Reed")
    for conv, tag in ((tagged, "urgent"), (other, "refund")):
        r = api.staff(sup, "PUT", f"/api/v1/conversations/{conv['id']}/tags/{tag}")
        assert r.status_code == 200, r.text
        assert api.say(conv, "hello? still waiting").status_code == 200
    server.call(run_once(server.runtime))

    fired = [e for e in _read(api, sup, tagged)["events"] if e["type"] == "automation.fired"]
    assert fired and {f["data"]["rule_id"] for f in fired} == {rule.json()["id"]}
    assert _read(api, sup, tagged)["tier"] == 3
    assert [e for e in _read(api, sup, other)["events"] if e["type"] == "automation.fired"] == []
    assert _read(api, sup, other)["tier"] != 3
