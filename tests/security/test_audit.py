"""The audit log: what is recorded, how auditors query it, and that nobody can rewrite it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from hybridcx.audit import record
from hybridcx.audit.deploy import PolicyWatcher, record_model_deployment
from hybridcx.cli import app as cli_app
from hybridcx.kit.db import transaction
from tests.security.world import World, build_world
from tests.support import Api, LiveServer


@pytest.fixture
def world(server: LiveServer) -> Iterator[World]:
    api = Api(server.url, server.ws_url)
    yield build_world(server, api)
    api.close()


def audit(world: World, who: str = "auditor", **params: Any) -> dict[str, Any]:
    r = world.as_(who, "GET", "/api/v1/audit", params=params)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def only(world: World, **params: Any) -> dict[str, Any]:
    items = audit(world, **params)["items"]
    assert len(items) == 1, items
    return items[0]  # type: ignore[no-any-return]


def test_staff_reads_and_actions_on_customer_data_are_audited(world: World) -> None:
    conv = world.conversation()
    # Alice reads the conversation and the customer's profile.
    assert world.as_("agent", "GET", f"/api/v1/conversations/{conv['id']}").status_code == 200
    r = world.as_("agent", "GET", f"/api/v1/customers/{conv['customer_id']}/overview")
    assert r.status_code == 200
    read = only(world, action="conversation.read", target=conv["id"], actor=world.ids["agent"])
    assert read["actor_type"] == "staff" and read["ip"] == "127.0.0.1"
    # The log outlives erasures, so it names the customer by a keyed pseudonym, not the id...
    pseudonym = read["details"]["customer_id"]
    assert pseudonym and pseudonym != conv["customer_id"] and len(pseudonym) == 64
    # ...and an auditor still finds a customer's trail by the customer's id.
    assert (
        only(world, action="customer.read", target=conv["customer_id"])["actor_id"]
        == (world.ids["agent"])
    )
    # The customer reading their own conversation is not a staff read.
    world.api.http.get(
        f"/api/v1/conversations/{conv['id']}",
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    )
    reads = audit(world, action="conversation.read", target=conv["id"])["items"]
    assert {e["actor_id"] for e in reads} == {world.ids["agent"], world.ids["admin"]}

    # A supervisor takes over, then transfers to Alice.
    r = world.as_("supervisor", "POST", f"/api/v1/conversations/{conv['id']}/takeover")
    assert r.status_code == 200, r.text
    takeover = only(world, action="conversation.takeover", target=conv["id"])
    assert takeover["actor_id"] == world.ids["supervisor"]
    assert takeover["details"]["from_agent_id"] == world.ids["agent"]
    r = world.as_(
        "supervisor",
        "POST",
        f"/api/v1/conversations/{conv['id']}/transfer",
        json={"agent_id": world.ids["agent"]},
    )
    assert r.status_code == 200, r.text
    moved = only(world, action="conversation.transfer", target=conv["id"])
    assert moved["details"]["to_agent_id"] == world.ids["agent"]

    # An admin edits a customer.
    r = world.as_("admin", "POST", "/api/v1/customers", json={"email": "audited@example.com"})
    assert r.status_code == 201
    assert only(world, action="customer.updated", target=r.json()["id"])["details"]["created"]


def test_logins_role_changes_and_webhooks_are_audited(world: World) -> None:
    # build_world signed everyone in and gave Alice and Bob their teams.
    logins = audit(world, action="auth.login", actor=world.ids["agent"])["items"]
    assert logins and logins[0]["target_id"] == world.ids["agent"]
    bad = world.api.http.post(
        "/api/v1/auth/token", json={"email": "agent@example.com", "password": "wrong"}
    )
    assert bad.status_code == 401
    failed = only(world, action="auth.login_failed", target=world.ids["agent"])
    assert failed["actor_type"] == "anonymous" and failed["details"]["email"] == "agent@example.com"

    change = only(world, action="staff.access_changed", target=world.ids["agent_other_team"])
    assert change["actor_id"] == world.ids["admin"]
    assert change["details"]["after"] == {"role": "agent", "teams": ["red"]}
    r = world.as_(
        "admin",
        "PUT",
        f"/api/v1/agents/{world.ids['agent_other_team']}/access",
        json={"role": "supervisor"},
    )
    assert r.status_code == 200 and r.json()["role"] == "supervisor"
    # The new role applies at once, to the token Bob already holds.
    assert world.as_("agent_other_team", "GET", "/api/v1/dashboard").status_code == 200
    changes = audit(world, action="staff.", target=world.ids["agent_other_team"])["items"]
    assert [c["details"]["after"]["role"] for c in changes] == ["supervisor", "agent"]
    # Nobody changes their own role.
    r = world.as_(
        "admin", "PUT", f"/api/v1/agents/{world.ids['admin']}/access", json={"role": "agent"}
    )
    assert r.status_code == 422

    hook = world.as_(
        "admin",
        "POST",
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/x", "event_types": ["conversation.created"]},
    ).json()
    assert world.as_("admin", "DELETE", f"/api/v1/webhooks/{hook['id']}").status_code == 204
    assert only(world, action="webhook.created", target=hook["id"])["details"]["url"].startswith(
        "http://127.0.0.1:9/"
    )
    only(world, action="webhook.deleted", target=hook["id"])


def test_query_filters_paging_and_workspace_scope(world: World) -> None:
    since = {"from": datetime.now(UTC).isoformat()}
    for _ in range(3):
        world.as_("agent", "GET", f"/api/v1/conversations/{world.ids['other_conversation']}")
    first = audit(world, action="conversation.read", limit=2, **since)
    assert len(first["items"]) == 2 and first["next_offset"] == 2
    rest = audit(world, action="conversation.read", limit=2, offset=2, **since)
    assert rest["next_offset"] is None
    ids = [e["id"] for e in first["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) == 3
    times = [e["at"] for e in first["items"] + rest["items"]]
    assert times == sorted(times, reverse=True)  # newest first
    # A time window: from the oldest read (inclusive) to the newest (exclusive).
    window = audit(world, action="conversation.read", **{"from": times[-1], "to": times[0]})
    assert [e["at"] for e in window["items"]] == times[1:]
    assert (
        audit(world, action="conversation.read", **{"from": "2999-01-01T00:00:00Z"})["items"] == []
    )
    # The other workspace's agent signed in too, but that is not this workspace's business.
    everything = audit(world, limit=200)["items"]
    assert all(e["workspace_id"] in (everything[0]["workspace_id"], None) for e in everything)
    assert world.ids["agent_other_ws"] not in {e["actor_id"] for e in everything}
    bad = world.as_("auditor", "GET", "/api/v1/audit", params={"from": "yesterday"})
    assert bad.status_code == 422


def test_the_auditor_reads_numbers_but_never_a_transcript(world: World) -> None:
    conv = world.conversation()
    for path in (
        f"/api/v1/conversations/{conv['id']}",
        f"/api/v1/customers/{conv['customer_id']}/overview",
        "/api/v1/conversations",
        "/api/v1/queue",
    ):
        r = world.as_("auditor", "GET", path)
        assert r.status_code == 403, (path, r.text)
        assert "auditor" in r.json()["detail"]
    for path in ("/api/v1/dashboard", "/api/v1/analytics/kpis", "/api/v1/audit"):
        assert world.as_("auditor", "GET", path).status_code == 200, path
    r = world.as_("auditor", "PUT", "/api/v1/agents/me/status", json={"status": "available"})
    assert r.status_code == 403


def test_the_database_refuses_to_change_or_delete_entries(server: LiveServer) -> None:
    async def attempt(statement: str) -> str:
        async with transaction(server.runtime.sessions) as session:
            record(session, action="test.entry", actor_type="system", details={"n": 1})
        try:
            async with transaction(server.runtime.sessions) as session:
                await session.execute(text(statement))
        except Exception as exc:  # the trigger's error, whatever the driver wraps it in
            return str(exc)
        return "allowed"

    for statement in (
        "UPDATE audit_log SET action = 'rewritten' WHERE action = 'test.entry'",
        "DELETE FROM audit_log WHERE action = 'test.entry'",
    ):
        assert "append-only" in server.call(attempt(statement)), statement


def test_model_deployments_and_policy_changes_are_recorded(
    server: LiveServer, tmp_path: Any
) -> None:
    runtime, settings = server.runtime, server.settings

    async def deployments() -> list[str]:
        async with runtime.sessions() as session:
            rows = await session.execute(
                text("SELECT details FROM audit_log WHERE action = 'model.deployed'")
            )
            return [str(r[0]) for r in rows]

    server.reset()  # on PostgreSQL this empties the log (TRUNCATE), on SQLite it keeps it
    before = len(server.call(deployments()))
    server.call(record_model_deployment(runtime, settings))
    server.call(record_model_deployment(runtime, settings))  # same model: no second entry
    after = server.call(deployments())
    assert len(after) - before in (0, 1)
    assert after and "sha256" in after[-1]

    watcher = PolicyWatcher(runtime, tmp_path)
    (tmp_path / "acme.yaml").write_text("confidence_threshold: 0.7\n")
    assert server.call(watcher.check()) == 1
    assert server.call(watcher.check()) == 0
    (tmp_path / "acme.yaml").write_text("confidence_threshold: 0.8\n")
    assert server.call(watcher.check()) == 1


def test_cli_prints_the_log(world: World, server: LiveServer, monkeypatch: Any) -> None:
    world.as_("agent", "GET", f"/api/v1/conversations/{world.ids['other_conversation']}")
    monkeypatch.setenv("HYBRIDCX_DATABASE_URL", server.settings.effective_database_url)
    result = CliRunner().invoke(
        cli_app, ["audit", "log", "--action", "conversation.read", "--workspace", "default"]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.strip()]
    assert lines and all(e["action"] == "conversation.read" for e in lines)
    assert lines[0]["target_id"] == world.ids["other_conversation"]
    bad = CliRunner().invoke(cli_app, ["audit", "log", "--from", "soon"])
    assert bad.exit_code == 2
