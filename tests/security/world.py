"""A populated workspace for the access tests: a team inbox, a second workspace, every role."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import httpx

from hybridcx.demo.seed import DEMO_WORKSPACE_SLUG
from hybridcx.kit.db import transaction
from hybridcx.kit.ids import new_id
from hybridcx.models import Inbox, Workspace
from hybridcx.workspaces.setup import add_staff, create_workspace
from tests.support import Api, LiveServer

TEAM_INBOX = "blue-chat"
OTHER_PASSWORD = "other-agent-pass"
_seq = itertools.count(1)


async def _setup(sessions: Any) -> None:
    async with transaction(sessions) as session:
        from sqlalchemy import select

        ws = (
            await session.execute(select(Workspace).where(Workspace.slug == DEMO_WORKSPACE_SLUG))
        ).scalar_one()
        session.add(
            Inbox(
                id=new_id(),
                workspace_id=ws.id,
                key=TEAM_INBOX,
                channel="webchat",
                name="Blue team chat",
                hmac_secret="blue-secret",
                is_default=False,
                team="blue",
            )
        )
        await create_workspace(session, slug="other-co", name="Other Co", default=False)
        await add_staff(
            session,
            workspace_slug="other-co",
            email="other.agent@example.com",
            name="Olga Other",
            role="agent",
            password=OTHER_PASSWORD,
            skills=["general"],
            capacity=3,
        )


@dataclass
class World:
    api: Api
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    server: LiveServer | None = None  # for setups that put rows in the database directly

    def headers(self, who: str) -> dict[str, str]:
        token = self.tokens.get(who)
        return {"Authorization": f"Bearer {token}"} if token else {}

    def as_(self, who: str, method: str, path: str, **kw: Any) -> httpx.Response:
        return self.api.http.request(method, path, headers=self.headers(who), **kw)

    def conversation(self, *, accept: bool = True) -> dict[str, Any]:
        """A conversation of the blue team, escalated, and (by default) accepted by Alice."""
        email = f"matrix-{next(_seq)}-{new_id()[:6]}@example.com"
        conv = self.api.start(email, "Matrix Customer", inbox=TEAM_INBOX)
        r = self.api.say(conv, "agent")
        assert r.status_code == 200, r.text
        if accept:
            r = self.as_("agent", "POST", f"/api/v1/conversations/{conv['id']}/accept")
            assert r.status_code == 200, r.text
        r = self.as_("admin", "GET", f"/api/v1/conversations/{conv['id']}")
        assert r.status_code == 200, r.text
        conv["customer_id"] = r.json()["customer"]["id"]
        return conv


def build_world(server: LiveServer, api: Api) -> World:
    server.reset()
    server.call(_setup(server.runtime.sessions))
    world = World(api, server=server)
    logins = {
        "agent": ("agent@example.com", "demo-agent"),
        "agent_other_team": ("bob@example.com", "demo-agent"),
        "agent_other_ws": ("other.agent@example.com", OTHER_PASSWORD),
        "supervisor": ("supervisor@example.com", "demo-supervisor"),
        "admin": ("admin@example.com", "demo-admin"),
        "auditor": ("auditor@example.com", "demo-auditor"),
    }
    for who, (email, password) in logins.items():
        world.tokens[who] = api.login(email, password)
    for who in logins:
        world.ids[who] = world.as_(who, "GET", "/api/v1/agents/me").json()["id"]
    for who, teams in (("agent", ["blue"]), ("agent_other_team", ["red"])):
        r = world.as_(
            "admin", "PUT", f"/api/v1/agents/{world.ids[who]}/access", json={"teams": teams}
        )
        assert r.status_code == 200, r.text
    world.tokens["customer"] = world.conversation()["customer_token"]
    other = api.start("someone.else@example.com", "Someone Else")
    world.tokens["other_customer"] = other["customer_token"]
    world.ids["other_conversation"] = other["id"]
    return world
