"""Teams: an agent sees (lists, queue, live events) and is given only their teams' conversations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from websockets.sync.client import connect

from tests.security.world import World, build_world
from tests.support import Api, LiveServer, read_events_until, recv


@pytest.fixture
def world(server: LiveServer) -> Iterator[World]:
    api = Api(server.url, server.ws_url)
    yield build_world(server, api)
    api.close()


def ids(world: World, who: str, path: str, key: str) -> set[str]:
    r = world.as_(who, "GET", path)
    assert r.status_code == 200, r.text
    return {item[key] for item in r.json()["items"]}


def test_lists_and_queue_show_only_my_teams(world: World) -> None:
    blue = world.conversation(accept=False)
    open_to_all = world.api.start("no.team@example.com", "No Team")
    world.api.say(open_to_all, "agent")
    for who, sees_blue in (("agent", True), ("agent_other_team", False), ("supervisor", True)):
        listed = ids(world, who, "/api/v1/conversations", "id")
        queued = ids(world, who, "/api/v1/queue", "conversation_id")
        assert (blue["id"] in listed, blue["id"] in queued) == (sees_blue, sees_blue), who
        assert open_to_all["id"] in listed and open_to_all["id"] in queued, who
    assert blue["id"] not in ids(world, "agent_other_ws", "/api/v1/conversations", "id")


def _desk(world: World, who: str) -> Any:
    ws = connect(f"{world.api.ws_base}/ws/agent?token={world.tokens[who]}")
    assert recv(ws)["type"] == "ready"
    return ws


def _queued(conv_id: str) -> Any:
    def match(event: dict[str, Any]) -> bool:
        return event.get("type") == "conversation.queued" and (
            event["conversation"]["id"] == conv_id
        )

    return match


def test_live_events_and_auto_assignment_follow_teams(world: World) -> None:
    alice, bob = _desk(world, "agent"), _desk(world, "agent_other_team")
    try:
        bob.send('{"type": "status", "status": "available"}')
        read_events_until(bob, lambda e: e.get("type") == "status")
        blue = world.conversation(accept=False)
        read_events_until(alice, _queued(blue["id"]))
        # Bob is available and has room, but the blue conversation is not his team's.
        state = world.as_("admin", "GET", f"/api/v1/conversations/{blue['id']}").json()
        assert state["status"] == "queued"

        plain = world.api.start("plain@example.com", "Plain")
        world.api.say(plain, "agent")
        seen = read_events_until(bob, _queued(plain["id"]))
        assert all(blue["id"] not in str(event) for event in seen)
        state = world.as_("admin", "GET", f"/api/v1/conversations/{plain['id']}").json()
        assert (
            state["status"] == "assigned" and state["agent"]["id"] == world.ids["agent_other_team"]
        )
    finally:
        alice.close()
        bob.close()


def test_transfers_stay_within_the_team_and_handling_roles(world: World) -> None:
    conv = world.conversation()
    for target in ("agent_other_team", "auditor"):
        r = world.as_(
            "agent",
            "POST",
            f"/api/v1/conversations/{conv['id']}/transfer",
            json={"agent_id": world.ids[target]},
        )
        assert r.status_code == 409, r.text
        assert "cannot take this conversation" in r.json()["detail"]
    r = world.as_(
        "agent",
        "POST",
        f"/api/v1/conversations/{conv['id']}/transfer",
        json={"agent_id": world.ids["supervisor"]},
    )
    assert r.status_code == 200, r.text
