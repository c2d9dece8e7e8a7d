"""The human side, end to end: queue order, accept, replies and notes, transfer, resolve,
takeover, and automatic assignment to online, available agents."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.support import Api, is_message, recv_until


def _escalate(api: Api, email: str, name: str = "") -> dict[str, Any]:
    conv = api.start(email, name)
    if conv["status"] == "bot":
        assert api.say(conv, "agent").json()["conversation"]["status"] == "queued"
    return conv


def test_queue_is_ordered_by_priority_then_waiting_time(api: Api) -> None:
    first = _escalate(api, "jordan.reed@example.com")
    second = _escalate(api, "priya.patel@example.com")
    vip = _escalate(api, "vip@example.com")
    token = api.login("agent@example.com", "demo-agent")
    items = api.staff(token, "GET", "/api/v1/queue").json()["items"]
    assert [i["conversation_id"] for i in items] == [vip["id"], first["id"], second["id"]]
    assert items[0]["priority"] > items[1]["priority"] >= items[2]["priority"]
    for item in items:
        assert item["tier"] == 2
        assert isinstance(item["waiting_seconds"], int) and item["waiting_seconds"] >= 0
        assert {"reasons", "summary", "transcript"} <= set(item["handoff"])
    # The customer sees their place in line.
    state = api.say(second, "still there?").json()["conversation"]
    assert state["queue_position"] == 3


def test_accept_reply_note_transfer_resolve(api: Api) -> None:
    conv = _escalate(api, "alex@example.com", "Alex")
    alice = api.login("agent@example.com", "demo-agent")
    bob = api.login("bob@example.com", "demo-agent")
    ws = api.customer_ws(conv)
    try:
        r = api.staff(alice, "POST", f"/api/v1/conversations/{conv['id']}/accept")
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "assigned" and r.json()["agent"]["name"] == "Alice Agent"
        recv_until(ws, is_message("Alice Agent has joined", "system"))
        # A second accept loses.
        assert (
            api.staff(bob, "POST", f"/api/v1/conversations/{conv['id']}/accept").status_code == 409
        )
        # Bob may not reply publicly on Alice's conversation, but may leave a note.
        r = api.staff(
            bob, "POST", f"/api/v1/conversations/{conv['id']}/replies", json={"text": "hi"}
        )
        assert r.status_code == 403
        r = api.staff(
            alice,
            "POST",
            f"/api/v1/conversations/{conv['id']}/replies",
            json={"text": "Check order 1001 in the carrier portal", "internal": True},
        )
        assert r.status_code == 200 and r.json()["internal"] is True
        r = api.staff(
            alice,
            "POST",
            f"/api/v1/conversations/{conv['id']}/replies",
            json={"text": "Hi Alex, I'm looking at your order now."},
        )
        assert r.status_code == 200 and r.json()["author"] == "agent"
        event = recv_until(ws, is_message("looking at your order", "agent"))
        assert event["message"]["agent_name"] == "Alice Agent"
        # The customer now talks to Alice; the AI stays out of it.
        turn = api.say(conv, "Thanks!").json()
        assert [m["author"] for m in turn["messages"]] == ["customer"]
        assert turn["conversation"]["agent"]["name"] == "Alice Agent"

        # Transfer straight to Bob, with a note.
        r = api.staff(
            alice,
            "POST",
            f"/api/v1/conversations/{conv['id']}/transfer",
            json={
                "agent_id": api.staff(bob, "GET", "/api/v1/agents/me").json()["id"],
                "note": "needs tech help",
            },
        )
        assert r.status_code == 200, r.text
        assert r.json()["agent"]["name"] == "Bob Tech"
        assert (
            api.staff(alice, "POST", f"/api/v1/conversations/{conv['id']}/resolve").status_code
            == 403
        )
        # Bob hands it back to the queue for the billing skill.
        r = api.staff(
            bob, "POST", f"/api/v1/conversations/{conv['id']}/transfer", json={"skill": "billing"}
        )
        assert r.json()["status"] == "queued"
        [item] = api.staff(bob, "GET", "/api/v1/queue").json()["items"]
        assert item["required_skill"] == "billing"
        bob_id = api.staff(bob, "GET", "/api/v1/agents/me").json()["id"]
        assert item["handoff"]["declined_by"] == [bob_id]  # not offered straight back to Bob
        assert (
            api.staff(alice, "POST", f"/api/v1/conversations/{conv['id']}/accept").status_code
            == 200
        )
        r = api.staff(alice, "POST", f"/api/v1/conversations/{conv['id']}/resolve")
        assert r.status_code == 200 and r.json()["status"] == "resolved"
        recv_until(
            ws,
            lambda e: (
                e["type"] == "conversation.updated" and e["conversation"]["status"] == "resolved"
            ),
        )
    finally:
        ws.close()

    assert api.say(conv, "one more thing").status_code == 409
    detail = api.staff(alice, "GET", f"/api/v1/conversations/{conv['id']}").json()
    types = [e["type"] for e in detail["events"]]
    for expected in ("conversation.assigned", "conversation.transferred", "conversation.resolved"):
        assert expected in types
    notes = [m for m in detail["messages"] if m["internal"]]
    assert {n["text"] for n in notes} == {
        "Check order 1001 in the carrier portal",
        "needs tech help",
    }
    customer_view = api.http.get(
        f"/api/v1/conversations/{conv['id']}",
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    ).json()
    assert all(not m["internal"] for m in customer_view["messages"])
    assert "needs tech help" not in str(customer_view)


def test_supervisor_takes_over_from_the_ai(api: Api) -> None:
    conv = api.start("alex@example.com", "Alex")
    api.say(conv, "hello")
    agent = api.login("agent@example.com", "demo-agent")
    sup = api.login("supervisor@example.com", "demo-supervisor")
    assert (
        api.staff(agent, "POST", f"/api/v1/conversations/{conv['id']}/takeover").status_code == 403
    )
    assert api.staff(agent, "POST", f"/api/v1/conversations/{conv['id']}/accept").status_code == 409
    r = api.staff(sup, "POST", f"/api/v1/conversations/{conv['id']}/takeover")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "assigned" and r.json()["agent"]["name"] == "Sam Supervisor"
    turn = api.say(conv, "are you a bot?").json()
    assert [m["author"] for m in turn["messages"]] == ["customer"]  # the AI no longer answers
    detail = api.staff(sup, "GET", f"/api/v1/conversations/{conv['id']}").json()
    taken = [e for e in detail["events"] if e["type"] == "conversation.taken_over"]
    assert taken and taken[0]["data"]["from_status"] == "bot"


def test_only_one_of_many_concurrent_accepts_wins(api: Api) -> None:
    conv = _escalate(api, "alex@example.com")
    tokens = [
        api.login(email, "demo-agent")
        for email in (
            "agent@example.com",
            "bob@example.com",
            "carmen@example.com",
            "diego@example.com",
        )
    ]
    with ThreadPoolExecutor(len(tokens)) as pool:
        codes = list(
            pool.map(
                lambda t: (
                    api.staff(t, "POST", f"/api/v1/conversations/{conv['id']}/accept").status_code
                ),
                tokens,
            )
        )
    assert sorted(codes) == [200, 409, 409, 409]


def test_auto_assignment_needs_a_live_desk_and_available_status(api: Api) -> None:
    token = api.login("agent@example.com", "demo-agent")
    api.staff(token, "PUT", "/api/v1/agents/me/status", json={"status": "available"})
    # Available but not connected: nothing is assigned.
    conv = _escalate(api, "alex@example.com")
    assert (
        api.staff(token, "GET", "/api/v1/queue").json()["items"][0]["conversation_id"] == conv["id"]
    )
    desk = api.agent_ws(token)
    try:
        # Connecting while available picks up the waiting conversation.
        event = recv_until(desk, lambda e: e["type"] == "conversation.assigned")
        assert event["conversation"]["id"] == conv["id"]
        assert event["agent"]["name"] == "Alice Agent"
        # Going away stops new assignments; coming back resumes them.
        desk.send('{"type": "status", "status": "away"}')
        recv_until(desk, lambda e: e["type"] == "status" and e["status"] == "away")
        second = _escalate(api, "jordan.reed@example.com")
        recv_until(
            desk,
            lambda e: (
                e["type"] == "conversation.queued" and e["conversation"]["id"] == second["id"]
            ),
        )
        assert (
            api.staff(token, "GET", "/api/v1/queue").json()["items"][0]["conversation_id"]
            == second["id"]
        )
        desk.send('{"type": "status", "status": "available"}')
        event = recv_until(desk, lambda e: e["type"] == "conversation.assigned")
        assert event["conversation"]["id"] == second["id"]
        me = api.staff(token, "GET", "/api/v1/agents/me").json()
        assert me["online"] is True and me["load"] == 2
    finally:
        desk.close()


def test_tier_3_skill_routes_to_an_agent_with_that_skill(api: Api, server: Any) -> None:
    alice = api.login("agent@example.com", "demo-agent")
    carmen = api.login("carmen@example.com", "demo-agent")
    desks = [api.agent_ws(alice), api.agent_ws(carmen)]
    try:
        for t in (alice, carmen):
            api.staff(t, "PUT", "/api/v1/agents/me/status", json={"status": "available"})
        conv = _escalate(api, "alex@example.com")
        sup = api.login("supervisor@example.com", "demo-supervisor")
        assigned = api.staff(sup, "GET", f"/api/v1/conversations/{conv['id']}").json()
        assert assigned["status"] == "assigned"
        holder = assigned["agent"]["name"]
        holder_token = alice if holder == "Alice Agent" else carmen
        r = api.staff(
            holder_token, "POST", f"/api/v1/conversations/{conv['id']}/transfer", json={"tier": 3}
        )
        assert r.status_code == 200, r.text
        after = api.staff(sup, "GET", f"/api/v1/conversations/{conv['id']}").json()
        assert after["tier"] == 3
        assert after["status"] == "assigned" and after["agent"]["name"] == "Carmen Senior"
    finally:
        for d in desks:
            d.close()


def test_agent_websocket_sees_new_customer_messages(api: Api) -> None:
    token = api.login("agent@example.com", "demo-agent")
    desk = api.agent_ws(token)
    try:
        conv = _escalate(api, "alex@example.com")
        recv_until(
            desk,
            lambda e: e["type"] == "conversation.queued" and e["conversation"]["id"] == conv["id"],
        )
        api.say(conv, "my parcel is wet")
        event = recv_until(desk, is_message("my parcel is wet", "customer"))
        assert event["conversation_id"] == conv["id"]
    finally:
        desk.close()


def test_customer_reconnecting_gets_the_messages_it_missed(api: Api) -> None:
    conv = _escalate(api, "alex@example.com")
    ws = api.customer_ws(conv)
    ws.close()  # the network drops
    history = api.http.get(
        f"/api/v1/conversations/{conv['id']}",
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    ).json()["messages"]
    seen = history[-1]["id"]
    token = api.login("agent@example.com", "demo-agent")
    api.staff(token, "POST", f"/api/v1/conversations/{conv['id']}/accept")
    api.staff(
        token,
        "POST",
        f"/api/v1/conversations/{conv['id']}/replies",
        json={"text": "note", "internal": True},
    )
    api.staff(
        token,
        "POST",
        f"/api/v1/conversations/{conv['id']}/replies",
        json={"text": "Are you still there?"},
    )
    from websockets.sync.client import connect

    from tests.support import recv

    with connect(
        f"{api.ws_base}/ws/conversations/{conv['id']}?token={conv['customer_token']}&after={seen}"
    ) as again:
        assert recv(again)["type"] == "ready"
        replayed = [recv(again)["message"], recv(again)["message"]]
    assert [m["text"] for m in replayed] == [
        "Alice Agent has joined the conversation.",
        "Are you still there?",
    ]
