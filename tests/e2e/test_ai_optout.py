"""A customer opts themselves out of the AI: by asking in the chat ("no bots"), which
sends that very turn and every later conversation to people, or with the help centre's toggle
after verifying their email, where they can opt back in. Every change is audited."""

from __future__ import annotations

from typing import Any

from tests.e2e.test_web_api import outbox_code
from tests.support import Api

URL = "/api/v1/help/ai-preference"


def audit(api: Api, action: str) -> list[dict[str, Any]]:
    admin = api.login("admin@example.com", "demo-admin")
    return api.staff(admin, "GET", "/api/v1/audit", params={"action": action}).json()["items"]  # type: ignore[no-any-return]


def verified(api: Api, email: str) -> dict[str, str]:
    api.http.post("/api/v1/help/verification", json={"email": email})
    code = outbox_code(api, email)
    r = api.http.post("/api/v1/help/verification/check", json={"email": email, "code": code})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['session']}"}


def test_asking_for_no_bots_in_chat_opts_out_at_once_and_for_later_chats(api: Api) -> None:
    conv = api.start("alex@example.com", "Alex")
    ws = api.customer_ws(conv)
    with ws:
        r = api.say(conv, "Please, no bots. I want to talk to someone real.")
        assert r.status_code == 200, r.text
        turn = r.json()
        assert turn["conversation"]["status"] == "queued"
    agent = api.login("agent@example.com", "demo-agent")
    read = api.staff(agent, "GET", f"/api/v1/conversations/{conv['id']}").json()
    assert read["customer"]["human_only"] is True
    assert "human_only" in read["handoff"]["reasons"]
    texts = [m["text"] for m in read["messages"]]
    assert any("our AI assistant will not answer you" in t for t in texts)
    [event] = [e for e in read["events"] if e["type"] == "customer.ai_preference"]
    assert event["data"] == {"human_only": True, "via": "webchat"}
    [entry] = audit(api, "customer.ai_opt_out")
    assert entry["actor_type"] == "customer" and entry["details"]["via"] == "webchat"
    assert entry["target_id"] != read["customer"]["id"]  # the audit log's pseudonym

    # The next conversation skips the AI from its first message.
    later = api.start("alex@example.com", "Alex")
    r = api.say(later, "Where is my order?")
    assert r.json()["conversation"]["status"] == "queued"
    assert not [m for m in r.json()["messages"] if m["author"] == "ai"]
    # Saying it again changes nothing and audits nothing more.
    api.say(later, "no bots")
    assert len(audit(api, "customer.ai_opt_out")) == 1


def test_a_mention_of_bots_is_not_an_opt_out(api: Api) -> None:
    conv = api.start("priya.patel@example.com", "Priya")
    api.say(conv, "Are you a bot? What are your opening hours?")
    agent = api.login("supervisor@example.com", "demo-supervisor")
    read = api.staff(agent, "GET", f"/api/v1/conversations/{conv['id']}").json()
    assert read["customer"]["human_only"] is False
    assert audit(api, "customer.ai_opt_out") == []


def test_help_centre_toggle_after_verification_and_back(api: Api) -> None:
    assert api.http.get(URL).status_code == 401
    assert api.http.put(URL, json={"human_only": True}).status_code == 401
    bogus = {"Authorization": "Bearer nope.nope"}
    assert api.http.put(URL, json={"human_only": True}, headers=bogus).status_code == 401
    auth = verified(api, "alex@example.com")
    assert api.http.get(URL, headers=auth).json() == {
        "email": "alex@example.com",
        "human_only": False,
    }
    assert api.http.put(URL, json={"human_only": "maybe"}, headers=auth).status_code == 422
    assert api.http.put(URL, json={}, headers=auth).status_code == 422

    r = api.http.put(URL, json={"human_only": True}, headers=auth)
    assert r.status_code == 200 and r.json()["human_only"] is True
    conv = api.start("alex@example.com", "Alex")
    assert api.say(conv, "What are your opening hours?").json()["conversation"]["status"] == (
        "queued"
    )
    [out] = audit(api, "customer.ai_opt_out")
    assert out["details"] == {"via": "help_centre", "human_only": True}

    r = api.http.put(URL, json={"human_only": False}, headers=auth)
    assert r.status_code == 200 and r.json()["human_only"] is False
    again = api.start("alex@example.com", "Alex")
    assert api.say(again, "What are your opening hours?").json()["conversation"]["status"] == "bot"
    [back] = audit(api, "customer.ai_opt_in")
    assert back["details"] == {"via": "help_centre", "human_only": False}
    # Setting it to what it already is audits nothing.
    api.http.put(URL, json={"human_only": False}, headers=auth)
    assert len(audit(api, "customer.ai_opt_in")) == 1


def test_no_record_for_a_verified_email_without_conversations(api: Api) -> None:
    # A verified email that never contacted us: nothing to change.
    auth = verified(api, "alex@example.com")
    admin = api.login("admin@example.com", "demo-admin")
    assert api.staff(admin, "GET", URL).status_code == 401  # a staff token is no session
    assert api.http.get(URL, headers=auth).status_code == 200
