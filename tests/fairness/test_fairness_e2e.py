"""The fairness audit over HTTP and the CLI, on a synthetic event log stored in the real
database (customers with a language attribute, conversations, events)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from hybridcx.analytics.facts import EventRow
from hybridcx.cli import app
from hybridcx.kit.db import transaction
from hybridcx.kit.ids import hash_token, new_id
from hybridcx.models import Conversation, ConversationEvent, Customer, Inbox, Workspace
from tests.fairness.synthetic import Population
from tests.support import Api, LiveServer

WINDOW = {"from": "2026-03-01", "to": "2026-03-31"}


async def _store(server: LiveServer, pop: Population) -> None:
    log, segments = pop.build()
    async with transaction(server.runtime.sessions) as session:
        ws = (
            await session.execute(select(Workspace).where(Workspace.slug == "default"))
        ).scalar_one()
        inbox = (
            (await session.execute(select(Inbox).where(Inbox.workspace_id == ws.id)))
            .scalars()
            .first()
        )
        ids: dict[str, str] = {}
        convs: dict[str, str] = {}
        rows: list[EventRow] = log.sorted()
        for e in rows:
            if e.type != "conversation.created":
                continue
            customer = Customer(
                id=new_id(),
                workspace_id=ws.id,
                email=f"{e.actor_id}@fair.example",
                name="",
                consents={},
                attributes={"language": segments[e.actor_id or ""]},
                vip=False,
                lifetime_value=0.0,
            )
            session.add(customer)
            ids[e.actor_id or ""] = customer.id
        await session.flush()
        for e in rows:
            if e.type != "conversation.created":
                continue
            conv = Conversation(
                id=new_id(),
                workspace_id=ws.id,
                inbox_id=inbox.id,
                customer_id=ids[e.actor_id or ""],
                channel="webchat",
                status="resolved",
                customer_token_hash=hash_token(new_id()),
                routing={},
                ai_state={},
                created_at=e.created_at,
            )
            session.add(conv)
            convs[e.conversation_id] = conv.id
        await session.flush()
        for e in rows:
            actor_id = ids.get(e.actor_id or "", e.actor_id)
            session.add(
                ConversationEvent(
                    workspace_id=ws.id,
                    conversation_id=convs[e.conversation_id],
                    type=e.type,
                    actor="system",
                    actor_id=actor_id,
                    data=dict(e.data),
                    created_at=e.created_at,
                )
            )


@pytest.fixture
def sam(api: Api) -> str:
    return api.login("supervisor@example.com", "demo-supervisor")


def test_planted_language_disparity_is_flagged(api: Api, server: LiveServer, sam: str) -> None:
    server.call(_store(server, Population({"en": 240, "es": 120}, {"en": 1, "es": 3})))
    r = api.staff(
        sam, "GET", "/api/v1/analytics/fairness", params={**WINDOW, "segment": "language"}
    )
    assert r.status_code == 200, r.text
    report = r.json()
    [dim] = report["dimensions"]
    assert dim["dimension"] == "language" and dim["conversations"] == 360
    assert dim["segments"]["es"]["metrics"]["escalation_rate"]["value"] == 0.3
    flags = {(f["dimension"], f["segment"], f["metric"]) for f in report["flags"]}
    assert ("language", "es", "escalation_rate") in flags
    # The built-in dimensions run by default; channel has one segment, so nothing to compare.
    default = api.staff(sam, "GET", "/api/v1/analytics/fairness", params=WINDOW).json()
    assert [d["dimension"] for d in default["dimensions"]] == ["channel", "language", "value_tier"]
    assert not [f for f in default["flags"] if f["dimension"] == "channel"]


def test_equal_service_is_not_flagged(api: Api, server: LiveServer, sam: str) -> None:
    server.call(_store(server, Population({"en": 240, "es": 120}, {"en": 2, "es": 2})))
    report = api.staff(
        sam, "GET", "/api/v1/analytics/fairness", params={**WINDOW, "segment": "language"}
    ).json()
    assert report["flags"] == []


def test_roles_and_bad_input(api: Api, sam: str) -> None:
    agent = api.login("agent@example.com", "demo-agent")
    assert api.staff(agent, "GET", "/api/v1/analytics/fairness").status_code == 403
    bad = api.staff(sam, "GET", "/api/v1/analytics/fairness", params={"segment": "drop table;"})
    assert bad.status_code == 422
    window = api.staff(
        sam, "GET", "/api/v1/analytics/fairness", params={"from": "2026-05-01", "to": "2026-04-01"}
    )
    assert window.status_code == 422


@pytest.fixture
def env(server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYBRIDCX_DATA_DIR", str(server.settings.data_dir))
    monkeypatch.setenv("HYBRIDCX_DATABASE_URL", server.settings.effective_database_url)


def test_cli_prints_the_same_flags(api: Api, server: LiveServer, sam: str, env: None) -> None:
    server.call(_store(server, Population({"en": 240, "es": 120}, {"en": 1, "es": 3})))
    args = [
        "audit",
        "fairness",
        "--from",
        WINDOW["from"],
        "--to",
        WINDOW["to"],
        "--segment",
        "language",
    ]
    as_json = CliRunner().invoke(app, [*args, "--json"])
    assert as_json.exit_code == 0, as_json.output
    from_api = api.staff(
        sam, "GET", "/api/v1/analytics/fairness", params={**WINDOW, "segment": "language"}
    ).json()
    assert json.loads(as_json.output)["flags"] == from_api["flags"]
    text = CliRunner().invoke(app, args)
    assert text.exit_code == 1  # a flagged disparity
    assert "FLAG language=es: escalation_rate 0.3 vs 0.1" in text.output


def test_operator_defined_attributes_are_segments(api: Api, sam: str) -> None:
    admin = api.login("admin@example.com", "demo-admin")
    r = api.staff(
        admin,
        "POST",
        "/api/v1/customers",
        json={"email": "nina@example.com", "attributes": {"region": "north", "language": "de"}},
    )
    assert r.status_code == 201 and r.json()["attributes"] == {"region": "north", "language": "de"}
    api.start("nina@example.com", "Nina")
    api.start()  # alex: no region attribute
    report = api.staff(
        sam, "GET", "/api/v1/analytics/fairness", params={"segment": "region"}
    ).json()
    [dim] = report["dimensions"]
    assert dim["dimension"] == "region"
    assert dim["segments"]["north"]["conversations"] == 1
    assert dim["segments"]["unknown"]["conversations"] == 1
    assert dim["tests"] == []  # too small to test: reported, not flagged
    too_many = api.staff(
        admin, "POST", "/api/v1/customers", json={"email": "x@example.com", "attributes": "es"}
    )
    assert too_many.status_code == 422
