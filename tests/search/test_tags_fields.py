"""Tags and custom fields over real HTTP: the workspace's tag names, tags on
conversations and customers (audited, recorded as events, filterable), typed custom fields with
validation, and the AI's tags from the intent by policy."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from hybridcx.demo.seed import DEMO_WORKSPACE_SLUG
from tests.support import Api, LiveServer

LIST = "/api/v1/conversations"


@pytest.fixture
def sam(api: Api) -> str:
    return api.login("supervisor@example.com", "demo-supervisor")


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json() if r.content else None


def audit_actions(api: Api, action: str) -> list[dict[str, Any]]:
    admin = api.login("admin@example.com", "demo-admin")
    return ok(api.staff(admin, "GET", "/api/v1/audit", params={"action": action}))["items"]  # type: ignore[no-any-return]


def test_supervisors_manage_tag_names_and_agents_tag_conversations(api: Api, sam: str) -> None:
    agent = api.login("agent@example.com", "demo-agent")
    # Agents use the workspace's tags; they do not invent them.
    r = api.staff(agent, "POST", "/api/v1/tags", json={"name": "refund"})
    assert r.status_code == 403, r.text
    ok(
        api.staff(
            sam, "POST", "/api/v1/tags", json={"name": " Refund ", "description": "Money back"}
        ),
        201,
    )
    ok(api.staff(sam, "POST", "/api/v1/tags", json={"name": "vip-issue"}), 201)
    assert api.staff(sam, "POST", "/api/v1/tags", json={"name": "refund"}).status_code == 409
    bad = api.staff(sam, "POST", "/api/v1/tags", json={"name": "no spaces!"})
    assert bad.status_code == 422 and "Invalid tag" in bad.json()["detail"], bad.text
    names = [t["name"] for t in ok(api.staff(agent, "GET", "/api/v1/tags"))["items"]]
    assert names == ["refund", "vip-issue"]

    conv = api.start("tina@example.org", "Tina")
    other = api.start("omar@example.org", "Omar")
    path = f"{LIST}/{conv['id']}/tags"
    assert ok(api.staff(agent, "PUT", f"{path}/refund"))["tags"] == ["refund"]
    assert ok(api.staff(agent, "PUT", f"{path}/refund"))["tags"] == ["refund"]  # idempotent
    assert ok(api.staff(agent, "PUT", f"{path}/VIP-issue"))["tags"] == ["refund", "vip-issue"]
    unknown = api.staff(agent, "PUT", f"{path}/made-up")
    assert unknown.status_code == 422 and "Unknown tag" in unknown.json()["detail"]
    assert ok(api.staff(agent, "GET", path))["tags"] == ["refund", "vip-issue"]

    # Filters: one tag, every tag given; the list shows each conversation's tags.
    assert [
        c["id"] for c in ok(api.staff(sam, "GET", LIST, params={"tag": "refund"}))["items"]
    ] == [conv["id"]]
    both = ok(api.staff(sam, "GET", LIST, params=[("tag", "refund"), ("tag", "vip-issue")]))
    assert [c["id"] for c in both["items"]] == [conv["id"]]
    assert both["items"][0]["tags"] == ["refund", "vip-issue"]
    untagged = ok(api.staff(sam, "GET", LIST, params={"customer": "omar@example.org"}))["items"]
    assert [(c["id"], c["tags"]) for c in untagged] == [(other["id"], [])]

    assert ok(api.staff(agent, "DELETE", f"{path}/refund"))["tags"] == ["vip-issue"]
    assert ok(api.staff(sam, "GET", LIST, params={"tag": "refund"}))["items"] == []

    # Recorded on the conversation and in the audit log, by whom.
    events = ok(api.staff(sam, "GET", f"{LIST}/{conv['id']}"))["events"]
    tag_events = [(e["type"], e["data"]["tag"]) for e in events if e["type"].startswith("tag.")]
    assert tag_events == [
        ("tag.added", "refund"),
        ("tag.added", "vip-issue"),
        ("tag.removed", "refund"),
    ]
    assert len(audit_actions(api, "conversation.tagged")) == 2
    assert len(audit_actions(api, "conversation.untagged")) == 1
    assert len(audit_actions(api, "tag.created")) == 2

    # Removing a tag from the workspace removes it everywhere.
    assert api.staff(sam, "DELETE", "/api/v1/tags/vip-issue").status_code == 204
    assert ok(api.staff(agent, "GET", path))["tags"] == []


def test_customers_are_tagged_and_found_by_tag(api: Api, sam: str) -> None:
    ok(api.staff(sam, "POST", "/api/v1/tags", json={"name": "wholesale"}), 201)
    api.start("w@example.org", "Wanda")  # a conversation the agents can see
    [cust] = ok(api.staff(sam, "GET", "/api/v1/customers", params={"q": "w@example.org"}))["items"]
    agent = api.login("agent@example.com", "demo-agent")
    path = f"/api/v1/customers/{cust['id']}/tags"
    assert ok(api.staff(agent, "PUT", f"{path}/wholesale"))["tags"] == ["wholesale"]
    found = ok(api.staff(agent, "GET", "/api/v1/customers", params={"tag": "wholesale"}))["items"]
    assert [(c["id"], c["tags"]) for c in found] == [(cust["id"], ["wholesale"])]
    assert ok(api.staff(agent, "DELETE", f"{path}/wholesale"))["tags"] == []
    assert len(audit_actions(api, "customer.tagged")) == 1
    assert api.staff(agent, "PUT", "/api/v1/customers/nope/tags/wholesale").status_code == 404


def test_custom_fields_are_typed_validated_and_audited_without_values(api: Api, sam: str) -> None:
    defs = [
        {"entity": "conversation", "key": "order_ref", "label": "Order", "type": "text"},
        {"entity": "conversation", "key": "refund_amount", "type": "number"},
        {"entity": "conversation", "key": "damaged", "type": "boolean"},
        {"entity": "conversation", "key": "delivered_on", "type": "date"},
        {
            "entity": "conversation",
            "key": "reason",
            "type": "select",
            "options": ["broken", "late"],
        },
        {"entity": "customer", "key": "plan", "type": "select", "options": ["free", "pro"]},
    ]
    for d in defs:
        ok(api.staff(sam, "POST", "/api/v1/custom-fields", json=d), 201)
    for bad in (
        {"entity": "conversation", "key": "order_ref", "type": "text"},  # exists
        {"entity": "conversation", "key": "Bad Key", "type": "text"},
        {"entity": "conversation", "key": "x", "type": "select"},  # no options
        {"entity": "conversation", "key": "y", "type": "text", "options": ["a"]},
        {"entity": "ticket", "key": "z", "type": "text"},
        {"entity": "conversation", "key": "z", "type": "color"},
    ):
        r = api.staff(sam, "POST", "/api/v1/custom-fields", json=bad)
        assert r.status_code in (409, 422), (bad, r.text)
    agent = api.login("agent@example.com", "demo-agent")
    assert (
        api.staff(
            agent,
            "POST",
            "/api/v1/custom-fields",
            json={"entity": "customer", "key": "q", "type": "text"},
        ).status_code
        == 403
    )

    conv = api.start("fay@example.org", "Fay")
    path = f"{LIST}/{conv['id']}/fields"
    values = {
        "order_ref": "A-1001",
        "refund_amount": 12.5,
        "damaged": True,
        "delivered_on": "2026-12-01",
        "reason": "broken",
    }
    items = ok(api.staff(agent, "PATCH", path, json={"values": values}))["items"]
    assert {i["key"]: i["value"] for i in items} == values
    for bad_values, word in (
        ({"refund_amount": "twelve"}, "number"),
        ({"damaged": "yes"}, "true or false"),
        ({"delivered_on": "01/12/2026"}, "YYYY-MM-DD"),
        ({"reason": "stolen"}, "broken, late"),
        ({"order_ref": 5}, "text"),
        ({"order_ref": "x" * 1001}, "1000"),
        ({"nope": 1}, "Unknown conversation field"),
        ({"plan": "pro"}, "Unknown conversation field"),  # a customer field
    ):
        r = api.staff(agent, "PATCH", path, json={"values": bad_values})
        assert r.status_code == 422 and word in r.json()["detail"], (bad_values, r.text)
    items = ok(
        api.staff(agent, "PATCH", path, json={"values": {"order_ref": None, "reason": "late"}})
    )["items"]
    assert {i["key"]: i["value"] for i in items}["order_ref"] is None
    assert {i["key"]: i["value"] for i in items}["reason"] == "late"
    assert ok(api.staff(agent, "GET", path))["items"] == items

    events = ok(api.staff(sam, "GET", f"{LIST}/{conv['id']}"))["events"]
    changed = [e["data"]["fields"] for e in events if e["type"] == "field.changed"]
    assert changed == [sorted(values), ["order_ref", "reason"]]
    entries = audit_actions(api, "conversation.fields_changed")
    assert len(entries) == 2 and "A-1001" not in str(entries)  # names, never values

    cust_id = ok(api.staff(sam, "GET", LIST, params={"customer": "fay@example.org"}))["items"][0][
        "customer"
    ]["id"]
    cpath = f"/api/v1/customers/{cust_id}/fields"
    assert {
        i["key"]: i["value"]
        for i in ok(api.staff(agent, "PATCH", cpath, json={"values": {"plan": "pro"}}))["items"]
    } == {"plan": "pro"}

    # Deleting a definition deletes its values.
    assert api.staff(sam, "DELETE", "/api/v1/custom-fields/conversation/reason").status_code == 204
    assert "reason" not in {i["key"] for i in ok(api.staff(agent, "GET", path))["items"]}


@pytest.fixture
def intent_tags_policy(server: LiveServer) -> Iterator[None]:
    path = server.runtime.policies.path_for(DEMO_WORKSPACE_SLUG)
    assert not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("intent_tags:\n  opening_hours: [hours, Store-Info]\n", encoding="utf-8")
    stamp = time.time() + 7000  # a new mtime: the policy cache reloads it
    os.utime(path, (stamp, stamp))
    try:
        yield
    finally:
        path.unlink()


def test_the_ai_tags_a_conversation_from_its_intent_once(
    api: Api, sam: str, intent_tags_policy: None
) -> None:
    conv = api.start("hal@example.org", "Hal")
    body = ok(api.say(conv, "What are your opening hours?"))
    assert body["conversation"]["routing"]["intent"] == "opening_hours"
    path = f"{LIST}/{conv['id']}/tags"
    assert ok(api.staff(sam, "GET", path))["tags"] == ["hours", "store-info"]
    # The tags joined the workspace's list, and the list filters by them.
    names = [t["name"] for t in ok(api.staff(sam, "GET", "/api/v1/tags"))["items"]]
    assert {"hours", "store-info"} <= set(names)
    assert [c["id"] for c in ok(api.staff(sam, "GET", LIST, params={"tag": "hours"}))["items"]] == [
        conv["id"]
    ]
    # A person removes one; later turns do not put it back (applied once per conversation).
    ok(api.staff(sam, "DELETE", f"{path}/hours"))
    ok(api.say(conv, "What are your opening hours?"))
    assert ok(api.staff(sam, "GET", path))["tags"] == ["store-info"]
    events = ok(api.staff(sam, "GET", f"{LIST}/{conv['id']}"))["events"]
    ai = [e["data"] for e in events if e["type"] == "tag.added" and e["actor"] == "ai"]
    assert ai == [
        {"tag": "hours", "intent": "opening_hours"},
        {"tag": "store-info", "intent": "opening_hours"},
    ]


def test_tags_of_conversations_outside_the_workspace_are_not_reachable(api: Api, sam: str) -> None:
    ok(api.staff(sam, "POST", "/api/v1/tags", json={"name": "refund"}), 201)
    assert api.staff(sam, "PUT", f"{LIST}/not-a-conversation/tags/refund").status_code == 404
    assert api.staff(sam, "GET", f"{LIST}/not-a-conversation/fields").status_code == 404
    conv = api.start()
    r = api.http.put(
        f"{LIST}/{conv['id']}/tags/refund",
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    )
    assert r.status_code in (401, 403), r.text


def test_the_queue_filters_by_tag_and_shows_tags(api: Api, sam: str) -> None:
    ok(api.staff(sam, "POST", "/api/v1/tags", json={"name": "billing"}), 201)
    first = api.start("q1@example.org", "Quinn")
    second = api.start("q2@example.org", "Quincy")
    for conv in (first, second):
        assert ok(api.say(conv, "I want to talk to a person"))["conversation"]["status"] == "queued"
    ok(api.staff(sam, "PUT", f"{LIST}/{second['id']}/tags/billing"))
    everyone = ok(api.staff(sam, "GET", "/api/v1/queue"))["items"]
    assert {i["conversation_id"]: i["tags"] for i in everyone} == {
        first["id"]: [],
        second["id"]: ["billing"],
    }
    only = ok(api.staff(sam, "GET", "/api/v1/queue", params={"tag": "billing"}))["items"]
    assert [(i["conversation_id"], i["tags"]) for i in only] == [(second["id"], ["billing"])]
    assert ok(api.staff(sam, "GET", "/api/v1/queue", params={"tag": "nothing"}))["items"] == []


def test_kpis_filter_by_tag(api: Api, sam: str) -> None:
    ok(api.staff(sam, "POST", "/api/v1/tags", json={"name": "returns"}), 201)
    tagged = api.start("k1@example.org", "Kit")
    other = api.start("k2@example.org", "Kay")
    for conv in (tagged, other):
        ok(api.say(conv, "What are your opening hours?"))
    ok(api.staff(sam, "PUT", f"{LIST}/{tagged['id']}/tags/returns"))
    everything = ok(api.staff(sam, "GET", "/api/v1/analytics/kpis"))
    only = ok(api.staff(sam, "GET", "/api/v1/analytics/kpis", params={"tag": "Returns"}))
    assert everything["volume"]["conversations"] == 2
    assert only["volume"]["conversations"] == 1
    assert only["query"]["tag"] == "returns"
    none = ok(api.staff(sam, "GET", "/api/v1/analytics/kpis", params={"tag": "nothing"}))
    assert none["volume"]["conversations"] == 0
