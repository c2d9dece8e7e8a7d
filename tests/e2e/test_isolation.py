"""Who can see what: a customer token opens one conversation only (HTTP and WebSocket), staff
see their workspace only, and internal notes never reach the customer."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.sync.client import connect

from hybridcx.kit.db import transaction
from hybridcx.kit.ids import new_id
from hybridcx.kit.security import hash_demo_password
from hybridcx.models import Agent, Inbox, Workspace
from tests.support import Api, LiveServer, is_message, read_events_until, recv

JORDAN = "jordan.reed@example.com"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ws_refused(url: str) -> None:
    """The server must refuse the socket: a failed handshake, or a close without "ready"."""
    try:
        ws = connect(url, open_timeout=10)
    except (InvalidHandshake, ConnectionClosed, OSError):
        return
    with ws:
        try:
            event = recv(ws, timeout=5)
        except (ConnectionClosed, TimeoutError):
            return
        raise AssertionError(f"socket {url} was opened and sent {event}")


def drain(ws: Any, quiet: float = 0.5) -> list[dict[str, Any]]:
    """Events that arrive until the socket has been quiet for ``quiet`` seconds."""
    events = []
    with contextlib.suppress(TimeoutError):
        while True:
            events.append(recv(ws, timeout=quiet))
    return events


def test_a_customer_token_opens_only_its_own_conversation(api: Api) -> None:
    a = api.start("alex@example.com", "Alex")
    b = api.start(JORDAN, "Jordan")
    a_path = f"/api/v1/conversations/{a['id']}"
    b_path = f"/api/v1/conversations/{b['id']}"

    assert api.http.get(a_path, headers=bearer(a["customer_token"])).status_code == 200
    r = api.http.get(b_path, headers=bearer(a["customer_token"]))
    assert r.status_code == 403, r.text
    assert isinstance(r.json()["detail"], str)
    assert "messages" not in r.json()
    r = api.http.post(
        f"{b_path}/messages", json={"text": "from alex"}, headers=bearer(a["customer_token"])
    )
    assert r.status_code == 403, r.text
    r = api.http.get(a_path, headers=bearer(b["customer_token"]))
    assert r.status_code == 403, r.text

    # B's conversation holds nothing A tried to write.
    b_read = api.http.get(b_path, headers=bearer(b["customer_token"])).json()
    assert all("from alex" not in m["text"] for m in b_read["messages"])

    # Staff of the workspace see both, each with its own customer.
    for login, password in (
        ("agent@example.com", "demo-agent"),
        ("supervisor@example.com", "demo-supervisor"),
        ("admin@example.com", "demo-admin"),
    ):
        staff = api.login(login, password)
        ra = api.staff(staff, "GET", a_path)
        rb = api.staff(staff, "GET", b_path)
        assert ra.status_code == 200 and rb.status_code == 200, (ra.text, rb.text)
        assert ra.json()["customer"]["email"] == "alex@example.com"
        assert rb.json()["customer"]["email"] == JORDAN
        listed = {c["id"] for c in api.staff(staff, "GET", "/api/v1/conversations").json()["items"]}
        assert {a["id"], b["id"]} <= listed


def test_a_customer_token_cannot_open_another_conversations_socket(api: Api) -> None:
    a = api.start("alex@example.com", "Alex")
    b = api.start(JORDAN, "Jordan")
    base = api.ws_base

    ws_refused(f"{base}/ws/conversations/{b['id']}?token={a['customer_token']}")
    ws_refused(f"{base}/ws/conversations/{b['id']}")
    ws_refused(f"{base}/ws/conversations/{b['id']}?token=")
    ws_refused(f"{base}/ws/conversations/{b['id']}?token=garbage")
    ws_refused(f"{base}/ws/conversations/not-a-conversation?token={a['customer_token']}")
    staff = api.login("admin@example.com", "demo-admin")
    ws_refused(f"{base}/ws/conversations/{b['id']}?token={staff}")

    # Each customer's own socket works and carries only its own conversation.
    with api.customer_ws(a) as ws_a, api.customer_ws(b) as ws_b:
        assert api.say(b, "jordan's secret question").status_code == 200
        recv_b = read_events_until(ws_b, is_message("jordan's secret question", "customer"))
        assert all(e.get("conversation_id", b["id"]) == b["id"] for e in recv_b)
        assert api.say(a, "alex says hi").status_code == 200
        events_a = read_events_until(ws_a, is_message("alex says hi", "customer"))
        events_a += drain(ws_a)
        assert all("jordan" not in str(e).lower() for e in events_a), events_a
        for e in events_a:
            if "conversation_id" in e:
                assert e["conversation_id"] == a["id"], e
            if "conversation" in e:
                assert e["conversation"]["id"] == a["id"], e


def test_internal_notes_never_reach_the_customer(api: Api) -> None:
    conv = api.start("alex@example.com", "Alex")
    path = f"/api/v1/conversations/{conv['id']}"
    with api.customer_ws(conv) as cws:
        r = api.say(conv, "agent")
        assert r.status_code == 200 and r.json()["conversation"]["status"] == "queued", r.text

        agent = api.login("agent@example.com", "demo-agent")
        with api.agent_ws(agent) as aws:
            r = api.staff(agent, "POST", f"{path}/accept")
            assert r.status_code == 200, r.text
            note = "INTERNAL NOTE: refund approved up to $50, do not promise more"
            r = api.staff(agent, "POST", f"{path}/replies", json={"text": note, "internal": True})
            assert r.status_code == 200, r.text
            assert r.json()["internal"] is True
            reply = "Hi Alex, Alice here. I can help with that."
            r = api.staff(agent, "POST", f"{path}/replies", json={"text": reply})
            assert r.status_code == 200, r.text
            assert r.json()["internal"] is False

            # Staff desk: gets the note, and the reply after it.
            staff_events = read_events_until(aws, is_message(reply, "agent"))
            notes = [e for e in staff_events if e["type"] == "message.created" and note in str(e)]
            assert len(notes) == 1 and notes[0]["message"]["internal"] is True

        # Customer socket: the note was sent before the reply, so had it been forwarded it would
        # be among the events up to the reply.
        customer_events = read_events_until(cws, is_message(reply, "agent"))
        customer_events += drain(cws)
        assert all(note not in str(e) for e in customer_events), customer_events
        assert all(
            not e["message"]["internal"] for e in customer_events if e["type"] == "message.created"
        )

    # Customer's GET: the reply, never the note; nothing staff-only.
    mine = api.http.get(path, headers=bearer(conv["customer_token"])).json()
    texts = [m["text"] for m in mine["messages"]]
    assert reply in texts
    assert note not in texts
    assert all(m["internal"] is False for m in mine["messages"])
    assert note not in str(mine)
    assert mine["customer"] is None and mine["handoff"] is None
    assert all(e["data"] == {} for e in mine["events"])

    # Staff GET: both, the note flagged internal.
    staff = api.staff(agent, "GET", path).json()
    by_text = {m["text"]: m for m in staff["messages"]}
    assert by_text[note]["internal"] is True
    assert by_text[reply]["internal"] is False
    assert by_text[note]["agent_name"] == "Alice Agent"


def test_a_transfer_note_stays_internal(api: Api) -> None:
    conv = api.start("alex@example.com", "Alex")
    path = f"/api/v1/conversations/{conv['id']}"
    assert api.say(conv, "agent").json()["conversation"]["status"] == "queued"
    agent = api.login("agent@example.com", "demo-agent")
    assert api.staff(agent, "POST", f"{path}/accept").status_code == 200
    note = "TRANSFER NOTE: suspected fraud, check the account"
    r = api.staff(agent, "POST", f"{path}/transfer", json={"note": note})
    assert r.status_code == 200, r.text

    mine = api.http.get(path, headers=bearer(conv["customer_token"])).json()
    assert note not in str(mine)
    staff = api.staff(agent, "GET", path).json()
    assert [m["internal"] for m in staff["messages"] if m["text"] == note] == [True]


def test_the_agent_socket_rejects_bad_tokens(api: Api) -> None:
    conv = api.start("alex@example.com", "Alex")
    base = api.ws_base
    ws_refused(f"{base}/ws/agent")
    ws_refused(f"{base}/ws/agent?token=")
    ws_refused(f"{base}/ws/agent?token=not-a-staff-token")
    ws_refused(f"{base}/ws/agent?token={conv['customer_token']}")
    good = api.login("agent@example.com", "demo-agent")
    ws_refused(f"{base}/ws/agent?token={good}x")
    with api.agent_ws(good):
        pass


# ---- a second workspace --------------------------------------------------------------------


async def _second_workspace(server: LiveServer) -> None:
    async with transaction(server.runtime.sessions) as session:
        ws = Workspace(id=new_id(), slug="other-co", name="Other Co", is_default=False)
        session.add(ws)
        await session.flush()
        session.add(
            Inbox(
                id=new_id(),
                workspace_id=ws.id,
                key="other-webchat",
                channel="webchat",
                name="Other chat",
                hmac_secret="other-secret",
                is_default=True,
            )
        )
        session.add(
            Agent(
                id=new_id(),
                workspace_id=ws.id,
                email="olga@other.example",
                name="Olga Other",
                role="admin",
                password_hash=hash_demo_password("other-admin"),
                skills=["general"],
                capacity=3,
                status="away",
            )
        )


@pytest.fixture
def other_workspace(api: Api, server: LiveServer) -> str:
    """A second company with an admin; returns that admin's staff token."""
    server.call(_second_workspace(server))
    return api.login("olga@other.example", "other-admin")


def test_staff_of_another_workspace_see_nothing(api: Api, other_workspace: str) -> None:
    conv = api.start("alex@example.com", "Alex")
    path = f"/api/v1/conversations/{conv['id']}"
    assert api.say(conv, "agent").json()["conversation"]["status"] == "queued"
    olga = other_workspace

    r = api.staff(olga, "GET", path)
    assert r.status_code in (403, 404), r.text
    assert "Alex" not in r.text
    assert api.staff(olga, "POST", f"{path}/accept").status_code in (403, 404)
    assert api.staff(olga, "POST", f"{path}/takeover").status_code in (403, 404)
    r = api.staff(olga, "POST", f"{path}/replies", json={"text": "hi", "internal": True})
    assert r.status_code in (403, 404), r.text
    assert api.staff(olga, "POST", f"{path}/resolve").status_code in (403, 404)
    queue = api.staff(olga, "GET", "/api/v1/queue").json()["items"]
    assert conv["id"] not in [q["conversation_id"] for q in queue]
    listed = api.staff(olga, "GET", "/api/v1/conversations").json()["items"]
    assert conv["id"] not in [c["id"] for c in listed]

    # Olga's desk socket hears nothing of the demo workspace.
    with api.agent_ws(olga) as ws:
        drain(ws)
        assert api.say(conv, "where is my order 1001?").status_code == 200
        events = drain(ws, quiet=1.0)
        assert all(conv["id"] not in str(e) for e in events), events

    # The conversation is untouched and still in its own workspace's queue.
    admin = api.login("admin@example.com", "demo-admin")
    read = api.staff(admin, "GET", path).json()
    assert read["status"] == "queued" and read["agent"] is None
    assert all(m["author"] != "agent" for m in read["messages"])


def test_the_same_email_is_a_different_customer_in_another_workspace(
    api: Api, other_workspace: str
) -> None:
    demo = api.start("alex@example.com", "Alex")
    other = api.start("alex@example.com", "Alex Elsewhere", inbox="other-webchat")
    admin = api.login("admin@example.com", "demo-admin")
    olga = other_workspace

    demo_customer = api.staff(admin, "GET", f"/api/v1/conversations/{demo['id']}").json()
    other_customer = api.staff(olga, "GET", f"/api/v1/conversations/{other['id']}").json()
    assert demo_customer["customer"]["id"] != other_customer["customer"]["id"]
    assert demo_customer["customer"]["name"] == "Alex Morgan"
    assert other_customer["customer"]["name"] == "Alex Elsewhere"
    assert other_customer["customer"]["lifetime_value"] in (0, 0.0, None)
    assert api.staff(admin, "GET", f"/api/v1/conversations/{other['id']}").status_code in (
        403,
        404,
    )
