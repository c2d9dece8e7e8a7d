"""NPS from the survey, orders attributed over the API, the team filter and staffed time from a
desk connection, through the live server."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from hybridcx.agents.service import staffed_seconds
from hybridcx.kit.ids import utcnow
from hybridcx.models import AgentShift
from tests.analytics.test_endpoints import KPIS, handled_by_alice
from tests.support import Api, LiveServer


def _survey(api: Api, conv: dict[str, Any], body: dict[str, Any]) -> Any:
    return api.http.post(
        f"/api/v1/conversations/{conv['id']}/survey",
        json=body,
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    )


def test_nps_orders_segments_and_team_filter(api: Api) -> None:
    sam = api.login("supervisor@example.com", "demo-supervisor")
    alice = api.login("agent@example.com", "demo-agent")
    first = handled_by_alice(api, alice, "vip@example.com")  # the seeded VIP customer
    r = _survey(api, first, {"rating": 5, "nps": 10})
    assert r.status_code == 201 and r.json()["nps"] == 10
    second = handled_by_alice(api, alice, "pat@example.com")
    assert _survey(api, second, {"rating": 2, "nps": 4}).status_code == 201
    assert _survey(api, second, {"rating": 2, "nps": 4}).status_code == 409
    bad = _survey(api, handled_by_alice(api, alice, "q@example.com"), {"rating": 4, "nps": 11})
    assert bad.status_code == 422

    orders = f"/api/v1/conversations/{first['id']}/orders"
    r = api.staff(alice, "POST", orders, json={"order_id": "A-1", "amount": 150.5})
    assert r.status_code == 201, r.text
    assert r.json()["currency"] == "USD"
    again = api.staff(alice, "POST", orders, json={"order_id": "A-1", "amount": 150.5})
    assert again.status_code == 409 and "already" in again.json()["detail"]
    negative = api.staff(alice, "POST", orders, json={"order_id": "A-2", "amount": -1})
    assert negative.status_code == 422
    missing = api.staff(
        alice, "POST", "/api/v1/conversations/nope/orders", json={"order_id": "A-3", "amount": 1}
    )
    assert missing.status_code == 404
    anonymous = api.http.post(orders, json={"order_id": "A-4", "amount": 1})
    assert anonymous.status_code == 401

    k = api.staff(sam, "GET", KPIS).json()
    nps = k["customer_experience"]["nps"]
    assert nps["responses"] == 2 and nps["score"] == 0.0  # one promoter, one detractor
    revenue = k["business"]["revenue"]
    assert revenue["orders"] == 1 and revenue["revenue"] == 150.5
    segments = k["business"]["value_by_segment"]["by_segment"]
    assert segments["vip"]["conversations"] == 1 and segments["vip"]["revenue"] == 150.5
    assert segments["standard"]["conversations"] == 2
    assert k["business"]["value_by_segment"]["by_value_tier"]["high"]["conversations"] == 1
    assert "scalability" in k["business"] and k["source"] == "rollup"

    # Alice has the "billing" skill, Bob only general and tech.
    billing = api.staff(sam, "GET", KPIS, params={"team": "billing"}).json()
    assert billing["volume"]["conversations"] == 3 and billing["query"]["team"] == "billing"
    tech_only = api.staff(sam, "GET", KPIS, params={"team": "no-such-team"}).json()
    assert tech_only["volume"]["conversations"] == 0


def test_desk_connection_records_staffed_time(api: Api, server: LiveServer) -> None:
    alice = api.login("agent@example.com", "demo-agent")
    with api.agent_ws(alice):  # ready: connected, so a shift has started
        pass

    async def shifts() -> tuple[list[Any], dict[str, float]]:
        async with server.runtime.sessions() as session:
            rows = (await session.execute(select(AgentShift))).scalars().all()
            start = min(r.started_at for r in rows)
            staffed = await staffed_seconds(session, rows[0].workspace_id, start, utcnow())
            return list(rows), staffed

    # Disconnecting touches the shift (in the server, just after the socket closes).
    deadline = time.monotonic() + 10
    rows, staffed = server.call(shifts())
    while rows[0].last_seen_at == rows[0].started_at and time.monotonic() < deadline:
        time.sleep(0.05)
        rows, staffed = server.call(shifts())
    assert len(rows) == 1 and rows[0].last_seen_at > rows[0].started_at
    assert list(staffed) == [rows[0].agent_id]
    # Reconnecting at once continues the same shift rather than starting another.
    with api.agent_ws(alice):
        pass
    assert len(server.call(shifts())[0]) == 1
