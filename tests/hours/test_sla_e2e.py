"""SLA policies end to end over real HTTP and WebSockets: policies through the API
(validation, roles, audit), the first-response clock in the desk queue, a warning and a breach
on the staff WebSocket and in a webhook, the clock stopped by the agent's reply, paused while
waiting on the customer and restarted by the customer, and attainment by tier, channel and
team. The sweep runs at instants moved forward from the test clock."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from hybridcx.hours.sla import sla_sweep
from hybridcx.kit.ids import utcnow
from tests.support import Api, LiveServer, recv_until, serve_http

POLICIES = {
    "policies": [
        {
            "name": "Chat",
            "channel": "webchat",
            "first_response_minutes": 10,
            "next_response_minutes": 5,
            "warn_before_minutes": 2,
            "business_hours": False,
        },
        {"name": "Everything else", "first_response_minutes": 60},
    ]
}


# Relative to the test clock, and run again at a year end and a DST change (.ci/run).
pytestmark = pytest.mark.calendar


class Hooks(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    lock = threading.Lock()

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        with Hooks.lock:
            Hooks.received.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def hooks() -> Iterator[str]:
    Hooks.received = []
    yield from serve_http(Hooks)


def sweep(server: LiveServer, minutes: float) -> int:
    return int(server.call(sla_sweep(server.runtime, now=utcnow() + timedelta(minutes=minutes))))


def events_of(api: Api, token: str, conv_id: str) -> list[dict[str, Any]]:
    r = api.staff(token, "GET", f"/api/v1/conversations/{conv_id}")
    assert r.status_code == 200, r.text
    return [e for e in r.json()["events"] if e["type"].startswith("sla.")]


def test_policies_api_validates_and_is_audited(api: Api) -> None:
    agent = api.login("agent@example.com", "demo-agent")
    sup = api.login("supervisor@example.com", "demo-supervisor")
    admin = api.login("admin@example.com", "demo-admin")
    assert api.staff(agent, "PUT", "/api/v1/sla/policies", json=POLICIES).status_code == 403
    dup = {"policies": [POLICIES["policies"][0], {**POLICIES["policies"][0], "name": "Again"}]}
    r = api.staff(sup, "PUT", "/api/v1/sla/policies", json=dup)
    assert r.status_code == 422 and "same conversations" in r.text
    bad = {"policies": [{"name": "Fax", "channel": "fax", "first_response_minutes": 5}]}
    r = api.staff(sup, "PUT", "/api/v1/sla/policies", json=bad)
    assert r.status_code == 422 and "Unknown channel" in r.text
    zero = {"policies": [{"name": "Zero", "first_response_minutes": 0}]}
    assert api.staff(sup, "PUT", "/api/v1/sla/policies", json=zero).status_code == 422
    r = api.staff(sup, "PUT", "/api/v1/sla/policies", json=POLICIES)
    assert r.status_code == 200, r.text
    items = api.staff(agent, "GET", "/api/v1/sla/policies").json()["items"]
    assert [p["name"] for p in items] == ["Chat", "Everything else"]
    assert items[0]["first_response_minutes"] == 10 and items[1]["next_response_minutes"] is None
    r = api.staff(admin, "GET", "/api/v1/audit", params={"action": "sla.policies_updated"})
    [entry] = r.json()["items"]
    assert entry["details"]["after"] == ["Chat", "Everything else"]
    assert api.staff(agent, "GET", "/api/v1/sla/attainment").status_code == 403  # analytics
    r = api.staff(
        sup,
        "GET",
        "/api/v1/sla/attainment",
        params={"from": "2026-12-09T00:00:00Z", "to": "2026-12-01T00:00:00Z"},
    )
    assert r.status_code == 422


def test_warning_breach_reply_pause_and_attainment(
    api: Api, server: LiveServer, hooks: str
) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    admin = api.login("admin@example.com", "demo-admin")
    agent = api.login("agent@example.com", "demo-agent")
    assert api.staff(sup, "PUT", "/api/v1/sla/policies", json=POLICIES).status_code == 200
    r = api.staff(
        admin,
        "POST",
        "/api/v1/webhooks",
        json={"url": f"{hooks}/sla", "event_types": ["sla.warning", "sla.breached"]},
    )
    assert r.status_code == 201, r.text
    conv = api.start("alex@example.com", "Alex")
    assert api.say(conv, "agent").json()["conversation"]["status"] == "queued"
    [item] = api.staff(agent, "GET", "/api/v1/queue").json()["items"]
    clock = item["sla"]
    assert clock["policy"] == "Chat" and clock["kind"] == "first" and clock["state"] == "running"
    assert clock["target_seconds"] == 600 and not clock["warned"] and not clock["breached"]
    r = api.staff(agent, "GET", f"/api/v1/sla/conversations/{conv['id']}")
    assert r.status_code == 200 and r.json()["sla"]["due_at"] == clock["due_at"]
    assert api.staff(agent, "GET", "/api/v1/sla/conversations/nope").status_code == 404

    desk = api.agent_ws(sup)  # a supervisor's console: status away, nothing is assigned
    try:
        assert sweep(server, 5) == 0
        assert sweep(server, 8.5) == 1
        warning = recv_until(desk, lambda e: e["type"] == "sla.warning")
        assert warning["conversation_id"] == conv["id"] and warning["kind"] == "first"
        assert sweep(server, 9) == 0  # warned once
        assert sweep(server, 11) == 1
        breach = recv_until(desk, lambda e: e["type"] == "sla.breached")
        assert breach["conversation_id"] == conv["id"] and breach["sla"]["breached"] is True
        assert breach["tier"] == 2 and breach["channel"] == "webchat"
    finally:
        desk.close()
    assert [e["type"] for e in events_of(api, sup, conv["id"])] == ["sla.warning", "sla.breached"]
    # the webhook subscriber gets both, signed and delivered by the worker
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with Hooks.lock:
            types = sorted(b["type"] for b in Hooks.received)
        if types == ["sla.breached", "sla.warning"]:
            break
        time.sleep(0.2)
    assert types == ["sla.breached", "sla.warning"]
    assert all(b["data"]["conversation_id"] == conv["id"] for b in Hooks.received)

    # The agent answers (late): the clock stops, then waits on the customer.
    assert api.staff(agent, "POST", f"/api/v1/conversations/{conv['id']}/accept").status_code == 200
    r = api.staff(
        agent,
        "POST",
        f"/api/v1/conversations/{conv['id']}/replies",
        json={"text": "Hi Alex, sorry for the wait."},
    )
    assert r.status_code in (200, 201), r.text
    assert sweep(server, 12) == 1
    completed = [e for e in events_of(api, sup, conv["id"]) if e["type"] == "sla.completed"]
    assert len(completed) == 1 and completed[0]["data"]["met"] is False
    state = api.staff(agent, "GET", f"/api/v1/sla/conversations/{conv['id']}").json()["sla"]
    assert state["state"] == "paused"
    assert sweep(server, 600) == 0  # waiting on the customer: no breach however long
    # The customer writes: the next-response clock starts (5 minutes).
    assert api.say(conv, "It's about order 1001").status_code == 200
    assert sweep(server, 0) == 0
    state = api.staff(agent, "GET", f"/api/v1/sla/conversations/{conv['id']}").json()["sla"]
    assert state["kind"] == "next" and state["state"] == "running"
    assert state["target_seconds"] == 300
    r = api.staff(
        agent, "POST", f"/api/v1/conversations/{conv['id']}/replies", json={"text": "Checking now."}
    )
    assert r.status_code in (200, 201)
    assert sweep(server, 1) == 1  # answered within five minutes: met

    report = api.staff(sup, "GET", "/api/v1/sla/attainment").json()
    assert report["overall"] == {"responses": 2, "met": 1, "breaches": 1, "attainment": 0.5}
    assert report["by_tier"]["2"]["responses"] == 2
    assert report["by_channel"]["webchat"]["attainment"] == 0.5
    assert set(report["by_team"]) == {"(none)"} or len(report["by_team"]) == 1


def test_a_sweep_with_nothing_due_writes_nothing_however_long_the_queue(
    api: Api, server: LiveServer
) -> None:
    """Clocks with no new message and no deadline passed cost the sweep nothing each: it finds
    them with a fixed number of statements and opens no write transaction for them."""
    from sqlalchemy import event

    sup = api.login("supervisor@example.com", "demo-supervisor")
    assert api.staff(sup, "PUT", "/api/v1/sla/policies", json=POLICIES).status_code == 200
    engine = server.runtime.engine.sync_engine

    def statements_of_a_sweep(minutes: float) -> tuple[int, int, int]:
        seen: list[str] = []
        sweeping: list[asyncio.Task[Any] | None] = []

        def on_execute(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
            # the sweep's own statements, not the server's background loops'
            if sweeping and asyncio.current_task() is sweeping[0]:
                seen.append(statement.lstrip().split()[0].upper())

        async def run() -> int:
            sweeping.append(asyncio.current_task())
            return await sla_sweep(server.runtime, now=utcnow() + timedelta(minutes=minutes))

        event.listen(engine, "before_cursor_execute", on_execute)
        try:
            recorded = int(server.call(run()))
        finally:
            event.remove(engine, "before_cursor_execute", on_execute)
        writes = sum(1 for s in seen if s in ("UPDATE", "INSERT", "DELETE"))
        return recorded, len(seen), writes

    convs = []
    for n in range(2):
        conv = api.start(f"quiet{n}@example.com", f"Quiet {n}")
        assert api.say(conv, "agent").json()["conversation"]["status"] == "queued"
        convs.append(conv)
    sweep(server, 0)  # the clocks have seen the handoff messages
    recorded, few, writes = statements_of_a_sweep(1)  # a minute on: before any warning
    assert (recorded, writes) == (0, 0)
    for n in range(2, 6):
        conv = api.start(f"quiet{n}@example.com", f"Quiet {n}")
        assert api.say(conv, "agent").json()["conversation"]["status"] == "queued"
    sweep(server, 0)
    recorded, more, writes = statements_of_a_sweep(1)
    assert (recorded, writes) == (0, 0)
    assert more == few, (few, more)  # three times the clocks, the same statements
    # and a clock that is due is still advanced: the warning comes at 8 minutes
    assert sweep(server, 8.5) == 6
