"""KPIs through the live server: real conversations in, the numbers out; roles and tenancy."""

from __future__ import annotations

from typing import Any

import pytest

from hybridcx.kit.db import transaction
from hybridcx.kit.ids import new_id
from hybridcx.kit.security import hash_demo_password
from hybridcx.models import Agent, Workspace
from tests.support import Api, LiveServer

KPIS = "/api/v1/analytics/kpis"


def handled_by_alice(api: Api, alice: str, email: str) -> dict[str, Any]:
    conv = api.start(email, "Pat")
    assert api.say(conv, "agent").json()["conversation"]["status"] == "queued"
    path = f"/api/v1/conversations/{conv['id']}"
    assert api.staff(alice, "POST", f"{path}/accept").status_code == 200
    r = api.staff(alice, "POST", f"{path}/replies", json={"text": "Hello, I can help."})
    assert r.status_code in (200, 201), r.text
    assert api.staff(alice, "POST", f"{path}/resolve").status_code == 200
    return conv


def survey(api: Api, conv: dict[str, Any], rating: int) -> None:
    r = api.http.post(
        f"/api/v1/conversations/{conv['id']}/survey",
        json={"rating": rating},
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    )
    assert r.status_code == 201, r.text


async def _second_workspace(server: LiveServer) -> None:
    async with transaction(server.runtime.sessions) as session:
        ws = Workspace(id=new_id(), slug="other-co", name="Other Co")
        session.add(ws)
        await session.flush()
        session.add(
            Agent(
                workspace_id=ws.id,
                email="olga@other.example",
                name="Olga",
                role="admin",
                password_hash=hash_demo_password("other-admin"),
                skills=["general"],
            )
        )


@pytest.fixture
def sam(api: Api) -> str:
    return api.login("supervisor@example.com", "demo-supervisor")


def test_kpis_from_real_conversations(api: Api, sam: str) -> None:
    alice = api.login("agent@example.com", "demo-agent")
    first = handled_by_alice(api, alice, "pat@example.com")
    survey(api, first, 5)
    second = handled_by_alice(api, alice, "quinn@example.com")
    survey(api, second, 3)
    ai_only = api.start("rene@example.com", "Rene")
    assert ai_only["status"] == "bot"

    r = api.staff(sam, "GET", KPIS)
    assert r.status_code == 200, r.text
    k = r.json()
    assert k["volume"]["conversations"] == 3
    assert k["volume"]["by_channel"] == {"webchat": 3}
    assert k["operations"]["ai_containment"] == {"contained": 1, "rate": 0.3333}
    cx = k["customer_experience"]
    assert cx["csat"]["responses"] == 2 and cx["csat"]["average"] == 4.0
    assert cx["escalation"]["escalated"] == 2
    assert cx["escalation"]["reasons"]["customer_request"] == 2
    assert cx["average_handle_time"]["conversations"] == 2
    assert cx["average_handle_time"]["seconds"] >= 0
    assert cx["first_contact_resolution"]["rate"] == 1.0
    queue = k["operations"]["queue"]
    assert queue["queued"] == 2 and queue["answered"] == 2 and queue["service_level"] == 1.0
    assert k["operations"]["tier_distribution"]["counts"] == {"1": 1, "2": 2}
    assert k["operations"]["cost"]["blended_per_contact"] == round((1 + 5 + 5) / 3, 2)
    (row,) = k["operations"]["agents"]
    assert row["conversations"] == 2 and row["resolved"] == 2

    agent_id = row["agent_id"]
    only = api.staff(sam, "GET", KPIS, params={"agent_id": agent_id, "tier": 2}).json()
    assert only["volume"]["conversations"] == 2
    none = api.staff(sam, "GET", KPIS, params={"channel": "email"}).json()
    assert none["volume"]["conversations"] == 0
    past = api.staff(sam, "GET", KPIS, params={"from": "2020-01-01", "to": "2020-01-31"}).json()
    assert past["volume"]["conversations"] == 0


def test_agents_are_refused_and_bad_input_is_a_422(api: Api, sam: str) -> None:
    alice = api.login("agent@example.com", "demo-agent")
    assert api.staff(alice, "GET", KPIS).status_code == 403
    assert api.http.get(KPIS).status_code == 401
    assert api.staff(sam, "GET", KPIS, params={"from": "yesterday"}).status_code == 422
    bad = api.staff(sam, "GET", KPIS, params={"from": "2026-02-01", "to": "2026-01-01"})
    assert bad.status_code == 422
    assert api.staff(sam, "GET", KPIS, params={"tier": 7}).status_code == 422


def test_no_numbers_cross_workspaces(api: Api, server: LiveServer, sam: str) -> None:
    server.call(_second_workspace(server))
    olga = api.login("olga@other.example", "other-admin")
    api.start("rene@example.com", "Rene")
    assert api.staff(sam, "GET", KPIS).json()["volume"]["conversations"] == 1
    theirs = api.staff(olga, "GET", KPIS).json()
    assert theirs["volume"]["conversations"] == 0
    assert theirs["operations"]["agents"] == []
