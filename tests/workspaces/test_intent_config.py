"""A workspace that is not the demo company gets what its intents mean from its own policy file:
the team skill that routes them, their category, agent assist's next-best actions; and its own
canned responses (macros, managed by its supervisors). Real server, real HTTP, both databases."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hybridcx.kit.db import transaction
from hybridcx.models import Conversation
from hybridcx.workspaces.setup import add_staff, create_workspace
from tests.support import Api, LiveServer, backend_params, settings_for

SLUG = "acme-visas"
PASSWORD = "acme-staff-pass-1"
# The company's own intents, and one the shared demo model recognises ("complaint"), each
# mapped its own way: nothing here is in the demo company's (packaged default) maps.
POLICY = """
intent_skills:
  complaint: grievances
  visa_renewal: visas
intent_categories:
  complaint: Grievances
  visa_renewal: Visas
next_best_actions:
  complaint: [lookup_account]
  visa_renewal: [lookup_account, send_password_reset]
"""
COMPLAINT = "How do I file a formal complaint?"


@pytest.fixture(scope="module", params=backend_params())
def skills_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, nlu_model_dir: Path
) -> Iterator[LiveServer]:
    settings = settings_for(
        request.param,
        tmp_path_factory.mktemp(f"intent-config-{request.param}"),
        nlu_model_dir=nlu_model_dir,
        assignment_strategy="skills",
        experiments_check_seconds=0,
    )
    live = LiveServer(settings).start()
    yield live
    live.stop()


@pytest.fixture
def acme(skills_server: LiveServer) -> Iterator[tuple[Api, str]]:
    """The demo company again, plus Acme: a supervisor, Una (general) and Vic (general, visas,
    grievances), its policy file; yields the client and Acme's inbox key."""
    skills_server.reset()

    async def setup() -> str:
        async with transaction(skills_server.runtime.sessions) as session:
            made = await create_workspace(session, slug=SLUG, name="Acme Visas", default=False)
            for email, role, skills in (
                ("sup@acme.test", "supervisor", ["general"]),
                ("una@acme.test", "agent", ["general"]),
                ("vic@acme.test", "agent", ["general", "visas", "grievances"]),
            ):
                await add_staff(
                    session,
                    workspace_slug=SLUG,
                    email=email,
                    name=email.split("@")[0].title(),
                    role=role,
                    password=PASSWORD,
                    skills=skills,
                    capacity=3,
                )
            return made.inbox_key

    inbox = skills_server.call(setup())
    path = skills_server.settings.policy_dir / f"{SLUG}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(POLICY)
    stamp = time.time() + 5  # a new mtime: the policy cache sees this test's file
    os.utime(path, (stamp, stamp))
    client = Api(skills_server.url, skills_server.ws_url)
    yield client, inbox
    client.close()
    path.unlink(missing_ok=True)


def login(api: Api, name: str) -> str:
    return api.login(f"{name}@acme.test", PASSWORD)


def read(api: Api, token: str, conv: dict[str, Any]) -> dict[str, Any]:
    r = api.staff(token, "GET", f"/api/v1/conversations/{conv['id']}")
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def set_topic(server: LiveServer, conversation_id: str, topic: str) -> None:
    """What the workspace's own model recognised (the shared demo model knows no visas)."""

    async def go() -> None:
        async with transaction(server.runtime.sessions) as session:
            conv = (
                await session.execute(
                    select(Conversation).where(Conversation.id == conversation_id)
                )
            ).scalar_one()
            conv.ai_state = {**(conv.ai_state or {}), "topic": topic}

    server.call(go())


def test_routing_assist_and_the_summary_follow_the_workspaces_policy(
    acme: tuple[Api, str], skills_server: LiveServer
) -> None:
    api, inbox = acme
    una, vic, sup = login(api, "una"), login(api, "vic"), login(api, "sup")
    desks = [api.agent_ws(t) for t in (una, vic)]
    try:
        for t in (una, vic):
            r = api.staff(t, "PUT", "/api/v1/agents/me/status", json={"status": "available"})
            assert r.status_code == 200, r.text
        # Two complaints: both go to Vic, who holds the "grievances" skill Acme maps them to,
        # the second although Una is less loaded (the baseline would pick her).
        convs = []
        for email in ("pat@example.org", "lee@example.org"):
            conv = api.start(email, email.split("@")[0].title(), inbox=inbox)
            r = api.say(conv, COMPLAINT)
            assert r.status_code in (200, 201), r.text
            convs.append(conv)
            seen = read(api, sup, conv)
            assert seen["agent"] is not None and seen["agent"]["name"] == "Vic", seen["agent"]
        # A request with no mapped topic: no team preference, the least loaded (Una).
        plain = api.start("kim@example.org", "Kim", inbox=inbox)
        api.say(plain, "agent")
        assert read(api, sup, plain)["agent"]["name"] == "Una"

        first = convs[0]
        assist = api.staff(vic, "GET", f"/api/v1/conversations/{first['id']}/assist")
        assert assist.status_code == 200, assist.text
        body = assist.json()
        assert body["category"] == "Grievances"
        assert body["summary"].startswith("Pat contacted us about grievances")
        assert [a["action"] for a in body["next_best_actions"]] == ["lookup_account"]
        assert body["next_best_actions"][0]["label"] == "Look up the customer's account"
        ran = api.staff(
            vic,
            "POST",
            f"/api/v1/conversations/{first['id']}/assist/actions",
            json={"action": "lookup_account"},
        )
        assert ran.status_code == 200, ran.text
        # the unmapped conversation: General, and nothing to offer
        neutral = api.staff(una, "GET", f"/api/v1/conversations/{plain['id']}/assist").json()
        assert neutral["category"] == "General" and neutral["next_best_actions"] == []

        # On resolve, the post-contact summary takes Acme's category too.
        done = api.staff(vic, "POST", f"/api/v1/conversations/{first['id']}/resolve")
        assert done.status_code == 200, done.text
        events = read(api, sup, first)["events"]
        resolved = [e for e in events if e["type"] == "conversation.resolved"][0]["data"]
        assert resolved["category"] == "Grievances"
    finally:
        for desk in desks:
            desk.close()

    # The demo company is unchanged: its complaints are "Complaints", with no actions.
    demo_conv = api.start("alex@example.com", "Alex")
    api.say(demo_conv, COMPLAINT)
    agent = api.login("agent@example.com", "demo-agent")
    accepted = api.staff(agent, "POST", f"/api/v1/conversations/{demo_conv['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    demo = api.staff(agent, "GET", f"/api/v1/conversations/{demo_conv['id']}/assist").json()
    assert demo["category"] == "Complaints" and demo["next_best_actions"] == []


def test_an_intent_of_its_own_gets_its_team_category_and_actions(
    acme: tuple[Api, str], skills_server: LiveServer
) -> None:
    api, inbox = acme
    una, vic, sup = login(api, "una"), login(api, "vic"), login(api, "sup")
    desks = [api.agent_ws(t) for t in (una, vic)]
    try:
        for t in (una, vic):
            api.staff(t, "PUT", "/api/v1/agents/me/status", json={"status": "available"})
        for email in ("ravi@example.org", "mo@example.org"):
            conv = api.start(email, email.split("@")[0].title(), inbox=inbox)
            api.say(conv, "hello")
            set_topic(skills_server, conv["id"], "visa_renewal")
            api.say(conv, "agent")
            # both to Vic (visas), the second although Una is less loaded
            assert read(api, sup, conv)["agent"]["name"] == "Vic"
        assist = api.staff(vic, "GET", f"/api/v1/conversations/{conv['id']}/assist").json()
        assert assist["category"] == "Visas"
        assert [a["action"] for a in assist["next_best_actions"]] == [
            "lookup_account",
            "send_password_reset",
        ]
        # An intent Acme has not mapped: General, no actions, no team (the least loaded, Una).
        stray = api.start("jo@example.org", "Jo", inbox=inbox)
        api.say(stray, "hello")
        set_topic(skills_server, stray["id"], "pet_insurance")
        api.say(stray, "agent")
        assert read(api, sup, stray)["agent"]["name"] == "Una"
        neutral = api.staff(una, "GET", f"/api/v1/conversations/{stray['id']}/assist").json()
        assert neutral["category"] == "General" and neutral["next_best_actions"] == []
    finally:
        for desk in desks:
            desk.close()


def test_canned_responses_are_the_workspaces_own(acme: tuple[Api, str]) -> None:
    api, _ = acme
    sup, vic = login(api, "sup"), login(api, "vic")
    made = api.staff(
        sup,
        "POST",
        "/api/v1/macros",
        json={"name": "Visa apology", "text": "Sorry, {{customer.first_name}} <b>!</b>"},
    )
    assert made.status_code == 201, made.text
    # agents of the workspace pick it; they cannot manage them
    names = [m["name"] for m in api.staff(vic, "GET", "/api/v1/macros").json()["items"]]
    assert names == ["Visa apology"]  # none of the demo company's
    denied = api.staff(vic, "POST", "/api/v1/macros", json={"name": "x", "text": "y"})
    assert denied.status_code == 403
    demo_agent = api.login("agent@example.com", "demo-agent")
    demo_names = [m["name"] for m in api.staff(demo_agent, "GET", "/api/v1/macros").json()["items"]]
    assert "Refund" in demo_names and "Visa apology" not in demo_names
    other = api.staff(demo_agent, "GET", f"/api/v1/macros/{made.json()['id']}")
    assert other.status_code == 404
