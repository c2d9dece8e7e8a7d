"""Resolved conversations become training examples, over real HTTP against the live server:
the agent's intent correction wins, PII is gone, consent is respected, admins review them."""

from __future__ import annotations

from typing import Any

import pytest

from hybridcx.demo.seed import DEMO_WORKSPACE_SLUG
from tests.e2e.test_isolation import _second_workspace
from tests.support import Api, LiveServer

EMAIL = "alex.morgan.home@gmail.com"
CARD = "4111 1111 1111 1111"


def _to_person(api: Api, email: str, text: str) -> dict[str, Any]:
    conv = api.start(email, "Customer")
    r = api.say(conv, text)
    assert r.status_code == 200, r.text
    if r.json()["conversation"]["status"] == "bot":
        assert api.say(conv, "agent").json()["conversation"]["status"] == "queued"
    return conv


def _handle_and_resolve(api: Api, token: str, conv: dict[str, Any], *, intent: str | None) -> Any:
    cid = conv["id"]
    assert api.staff(token, "POST", f"/api/v1/conversations/{cid}/accept").status_code == 200
    corrected = None
    if intent is not None:
        r = api.staff(token, "PUT", f"/api/v1/conversations/{cid}/intent", json={"intent": intent})
        assert r.status_code == 200, r.text
        corrected = r.json()
    r = api.staff(
        token, "POST", f"/api/v1/conversations/{cid}/replies", json={"text": "Refund issued."}
    )
    assert r.status_code == 200, r.text
    assert api.staff(token, "POST", f"/api/v1/conversations/{cid}/resolve").status_code == 200
    return corrected


def _examples(api: Api, token: str) -> list[dict[str, Any]]:
    r = api.staff(token, "GET", "/api/v1/improvement/examples")
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


def test_corrected_intent_becomes_a_training_example_without_pii(api: Api) -> None:
    agent = api.login("agent@example.com", "demo-agent")
    admin = api.login("admin@example.com", "demo-admin")
    conv = _to_person(
        api,
        "alex@example.com",
        f"I was charged twice for my tent, my email is {EMAIL} and the card was {CARD}",
    )
    intents = api.staff(agent, "GET", "/api/v1/improvement/intents").json()["items"]
    assert "refund_status" in intents and "oos" not in intents
    corrected = _handle_and_resolve(api, agent, conv, intent="refund_status")
    assert corrected["intent"] == "refund_status"

    events = api.staff(agent, "GET", f"/api/v1/conversations/{conv['id']}").json()["events"]
    event = next(e for e in events if e["type"] == "intent.corrected")
    assert event["data"]["to"] == "refund_status"
    assert event["data"]["from"] == corrected["ai_intent"]

    [example] = _examples(api, admin)
    assert example["conversation_id"] == conv["id"]
    assert example["intent"] == "refund_status"
    expected_source = (
        "agent_confirmed" if corrected["ai_intent"] == "refund_status" else "agent_corrected"
    )
    assert example["intent_source"] == expected_source
    assert example["status"] == "candidate" and example["source"] == "resolution"
    assert "charged twice" in example["text"]
    for secret in (EMAIL, CARD, CARD.replace(" ", ""), "4111"):
        assert secret not in example["text"]
    assert "[EMAIL]" in example["text"] and "[CARD]" in example["text"]
    assert example["resolution"] == "Refund issued."

    # An admin accepts it into the workspace's training data; agents may not review.
    path = f"/api/v1/improvement/examples/{example['id']}/accept"
    assert api.staff(agent, "POST", path).status_code == 403
    r = api.staff(admin, "POST", path)
    assert r.status_code == 200 and r.json()["status"] == "accepted"


def test_correction_after_resolving_updates_the_example(api: Api) -> None:
    agent = api.login("agent@example.com", "demo-agent")
    supervisor = api.login("supervisor@example.com", "demo-supervisor")
    conv = _to_person(api, "jordan.reed@example.com", "my new boots arrived with a torn sole")
    _handle_and_resolve(api, agent, conv, intent=None)
    # Not reviewed by the agent: the AI's confident intent labels the example.
    [example] = [e for e in _examples(api, supervisor) if e["conversation_id"] == conv["id"]]
    assert example["intent"] == "damaged_item" and example["intent_source"] == "ai"
    r = api.staff(
        agent, "PUT", f"/api/v1/conversations/{conv['id']}/intent", json={"intent": "complaint"}
    )
    assert r.status_code == 200, r.text
    [example] = [e for e in _examples(api, supervisor) if e["conversation_id"] == conv["id"]]
    assert example["intent"] == "complaint" and example["intent_source"] == "agent_corrected"
    assert example["ai_intent"] == "damaged_item"


def test_conversation_without_training_consent_is_excluded(api: Api) -> None:
    agent = api.login("agent@example.com", "demo-agent")
    # An address the demo does not know: a new customer with no consent recorded.
    conv = _to_person(api, "new.person@example.org", "I was charged twice for my order")
    _handle_and_resolve(api, agent, conv, intent="refund_status")
    admin = api.login("admin@example.com", "demo-admin")
    assert [e for e in _examples(api, admin) if e["conversation_id"] == conv["id"]] == []


def test_intent_correction_rejects_bad_input(api: Api) -> None:
    agent = api.login("agent@example.com", "demo-agent")
    conv = _to_person(api, "alex@example.com", "I was charged twice for my order")
    path = f"/api/v1/conversations/{conv['id']}/intent"
    r = api.staff(agent, "PUT", path, json={"intent": "not_an_intent"})
    assert r.status_code == 422 and "not one of" in r.json()["detail"]
    assert api.staff(agent, "PUT", path, json={"intent": ""}).status_code == 422
    assert api.staff(agent, "PUT", path, json={}).status_code == 422
    r = api.staff(agent, "PUT", "/api/v1/conversations/nope/intent", json={"intent": "greeting"})
    assert r.status_code == 404
    # Customers cannot label their own conversation.
    r = api.http.put(
        path,
        json={"intent": "greeting"},
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    )
    assert r.status_code == 401


def test_workspace_policy_can_let_conversations_without_a_recorded_choice_in(
    api: Api, server: LiveServer
) -> None:
    policy = server.settings.policy_dir / f"{DEMO_WORKSPACE_SLUG}.yaml"
    policy.parent.mkdir(parents=True, exist_ok=True)
    policy.write_text("learning:\n  require_training_consent: false\n")
    try:
        agent = api.login("agent@example.com", "demo-agent")
        conv = _to_person(api, "another.person@example.org", "I was charged twice for my order")
        _handle_and_resolve(api, agent, conv, intent="refund_status")
        admin = api.login("admin@example.com", "demo-admin")
        [example] = [e for e in _examples(api, admin) if e["conversation_id"] == conv["id"]]
        assert example["intent"] == "refund_status"
    finally:
        policy.unlink()


@pytest.fixture
def other_admin(api: Api, server: LiveServer) -> str:
    """The staff token of an admin of a second company."""
    server.call(_second_workspace(server))
    return api.login("olga@other.example", "other-admin")


def test_staff_of_another_workspace_can_neither_label_nor_review(
    api: Api, other_admin: str
) -> None:
    agent = api.login("agent@example.com", "demo-agent")
    conv = _to_person(api, "alex@example.com", "I was charged twice for my order")
    _handle_and_resolve(api, agent, conv, intent="refund_status")
    olga = other_admin
    r = api.staff(
        olga, "PUT", f"/api/v1/conversations/{conv['id']}/intent", json={"intent": "greeting"}
    )
    assert r.status_code == 404
    assert _examples(api, olga) == []
    admin = api.login("admin@example.com", "demo-admin")
    [example] = _examples(api, admin)
    assert example["intent"] == "refund_status"
    r = api.staff(olga, "POST", f"/api/v1/improvement/examples/{example['id']}/accept")
    assert r.status_code == 404


def test_erasing_a_customer_removes_their_training_examples(api: Api) -> None:
    """Privacy: the training set is part of what an erasure cascades to."""
    from tests.privacy.test_gdpr import _wait_done

    agent = api.login("agent@example.com", "demo-agent")
    admin = api.login("admin@example.com", "demo-admin")
    conv = _to_person(api, "alex@example.com", "I was charged twice for my tent")
    _handle_and_resolve(api, agent, conv, intent="refund_status")
    assert [e["conversation_id"] for e in _examples(api, admin)] == [conv["id"]]
    cid = api.staff(agent, "GET", f"/api/v1/conversations/{conv['id']}").json()["customer"]["id"]
    r = api.staff(admin, "DELETE", f"/api/v1/customers/{cid}")
    assert r.status_code == 202, r.text
    done = _wait_done(api, admin, r.json()["id"])
    steps = {s["step"]: s["count"] for s in done["steps"]}
    assert steps["training_examples"] == 1
    assert _examples(api, admin) == []
