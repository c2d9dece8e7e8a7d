"""Throwaway staff accounts and workspaces for the staff identity tests."""

from __future__ import annotations

from typing import Any

from hybridcx.demo.seed import DEMO_WORKSPACE_SLUG
from hybridcx.kit.db import transaction
from hybridcx.workspaces.setup import add_staff, create_workspace
from tests.support import Api, LiveServer

ADMIN = ("admin@example.com", "demo-admin")
AGENT = ("agent@example.com", "demo-agent")
PASSWORD = "temp-agent-pass-1"


def new_staff(
    server: LiveServer,
    email: str,
    *,
    role: str = "agent",
    workspace: str = DEMO_WORKSPACE_SLUG,
    password: str = PASSWORD,
) -> str:
    async def go() -> str:
        async with transaction(server.runtime.sessions) as session:
            return await add_staff(
                session,
                workspace_slug=workspace,
                email=email,
                name=email.split("@")[0].title(),
                role=role,
                password=password,
                skills=["general"],
                capacity=3,
            )

    agent_id: str = server.call(go())
    return agent_id


def new_workspace(server: LiveServer, slug: str) -> None:
    async def go() -> None:
        async with transaction(server.runtime.sessions) as session:
            await create_workspace(session, slug=slug, name=slug.title(), default=False)

    server.call(go())


def audit_of(api: Api, admin: str, action: str, target: str) -> list[dict[str, Any]]:
    r = api.staff(admin, "GET", "/api/v1/audit", params={"action": action, "target": target})
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items
