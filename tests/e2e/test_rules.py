"""The model-free routing rules, end to end: customer_request, vip, human_only."""

from __future__ import annotations

import pytest

from tests.support import Api, is_message, recv_until


@pytest.mark.parametrize(
    "command", ["agent", "speak to a person", "Human", "representative", "real person"]
)
def test_one_command_reaches_a_person(api: Api, command: str) -> None:
    conv = api.start()
    r = api.say(conv, command)
    assert r.status_code == 200, r.text
    body = r.json()
    state = body["conversation"]
    assert state["status"] == "queued"
    assert state["tier"] == 2
    assert "customer_request" in state["routing"]["reasons"]
    assert state["queue_position"] == 1
    authors = [m["author"] for m in body["messages"]]
    # the handoff is followed by the expected wait (nobody is staffed here)
    assert authors == ["customer", "ai", "system"]
    assert "person" in body["messages"][1]["text"]
    assert "can't promise a time" in body["messages"][2]["text"]


def test_customer_request_works_after_several_turns_and_is_recorded(api: Api) -> None:
    conv = api.start()
    first = api.say(conv, "what are your opening hours?").json()
    assert first["conversation"]["status"] == "bot"
    assert first["messages"][-1]["author"] == "ai"  # answered by the AI
    assert api.say(conv, "hello").json()["conversation"]["status"] == "bot"
    r = api.say(conv, "I'd like to talk to a human please")
    assert r.json()["conversation"]["status"] == "queued"
    token = api.login("agent@example.com", "demo-agent")
    detail = api.staff(token, "GET", f"/api/v1/conversations/{conv['id']}").json()
    types = [e["type"] for e in detail["events"]]
    assert types.count("routing.decided") == 4  # opening + three turns
    assert "conversation.queued" in types
    queued = [e for e in detail["events"] if e["type"] == "conversation.queued"][0]
    assert queued["data"]["reasons"] == ["customer_request"]
    decided = [e for e in detail["events"] if e["type"] == "routing.decided"][-1]
    assert decided["data"]["reasons"] == ["customer_request"]
    assert decided["data"]["tier"] == 2


def test_vip_goes_to_the_human_queue_as_tier_2_with_an_ai_greeting(api: Api) -> None:
    conv = api.start("vip@example.com", "Victoria")
    assert conv["status"] == "queued" and conv["tier"] == 2
    greeting, wait = conv["messages"]  # then the expected wait
    assert greeting["author"] == "ai"
    assert "You're chatting with our AI assistant" in greeting["text"]
    assert wait["author"] == "system" and "can't promise a time" in wait["text"]
    r = api.say(conv, "My order is late").json()
    assert r["conversation"]["status"] == "queued"
    assert r["conversation"]["tier"] == 2
    assert "vip" in r["conversation"]["routing"]["reasons"]
    token = api.login("agent@example.com", "demo-agent")
    [item] = api.staff(token, "GET", "/api/v1/queue").json()["items"]
    assert item["conversation_id"] == conv["id"]
    assert item["customer"]["vip"] is True
    assert "vip" in item["reasons"]
    assert "VIP" in item["handoff"]["summary"]
    assert "My order is late" in [line["text"] for line in item["handoff"]["transcript"]]


def test_human_only_customer_never_gets_an_ai_message(api: Api) -> None:
    conv = api.start("human@example.com", "Hugo")
    assert conv["status"] == "queued"
    assert [m["author"] for m in conv["messages"]] == ["system", "system"]  # greeting, wait
    ws = api.customer_ws(conv)
    try:
        for text in ("hello?", "where is my order", "agent"):
            r = api.say(conv, text).json()
            assert all(m["author"] != "ai" for m in r["messages"])
            assert "human_only" in r["conversation"]["routing"]["reasons"]
        token = api.login("agent@example.com", "demo-agent")
        assert (
            api.staff(token, "POST", f"/api/v1/conversations/{conv['id']}/accept").status_code
            == 200
        )
        api.staff(
            token, "POST", f"/api/v1/conversations/{conv['id']}/replies", json={"text": "Hi Hugo"}
        )
        recv_until(ws, is_message("Hi Hugo", "agent"))
    finally:
        ws.close()
    detail = api.staff(token, "GET", f"/api/v1/conversations/{conv['id']}").json()
    assert all(m["author"] != "ai" for m in detail["messages"])


def test_admin_opts_a_customer_out_of_ai_and_the_next_chat_honours_it(api: Api) -> None:
    admin = api.login("admin@example.com", "demo-admin")
    r = api.staff(
        admin,
        "POST",
        "/api/v1/customers",
        json={
            "email": "New.Person@example.com",
            "name": "New Person",
            "human_only": True,
            "lifetime_value": 50,
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["email"] == "new.person@example.com"
    conv = api.start("new.person@example.com", "New")
    assert conv["status"] == "queued"
    assert conv["messages"][0]["author"] == "system"
    r = api.staff(
        admin, "POST", "/api/v1/customers", json={"email": "alex@example.com", "vip": True}
    )
    assert r.status_code == 200 and r.json()["vip"] is True and r.json()["name"] == "Alex Morgan"
    assert api.start("alex@example.com")["tier"] == 2
