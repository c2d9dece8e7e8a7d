"""Quality through the live server: a real conversation scored with evidence; roles; tenancy."""

from __future__ import annotations

from typing import Any

from tests.analytics.test_endpoints import _second_workspace
from tests.support import Api, LiveServer


def handled(api: Api, agent: str, lines: list[str], closing: str | None) -> dict[str, Any]:
    conv = api.start("pat@example.com", "Pat")
    assert api.say(conv, "agent").json()["conversation"]["status"] == "queued"
    path = f"/api/v1/conversations/{conv['id']}"
    assert api.staff(agent, "POST", f"{path}/accept").status_code == 200
    for text in lines:
        assert api.staff(agent, "POST", f"{path}/replies", json={"text": text}).status_code in (
            200,
            201,
        )
    if closing:
        assert api.say(conv, closing).status_code == 200
    assert api.staff(agent, "POST", f"{path}/resolve").status_code == 200
    return conv


def test_conversation_and_agent_quality(api: Api, server: LiveServer) -> None:
    alice = api.login("agent@example.com", "demo-agent")
    sam = api.login("supervisor@example.com", "demo-supervisor")
    good = handled(
        api, alice, ["Hello Pat, I'm Alice.", "Done. Is there anything else?"], "no, thanks!"
    )
    bad = handled(api, alice, ["ok"], None)

    r = api.staff(sam, "GET", f"/api/v1/quality/conversations/{good['id']}")
    assert r.status_code == 200, r.text
    result = r.json()
    by = {c["criterion"]: c for c in result["criteria"]}
    assert result["handled_by"] == "agent" and result["status"] == "resolved"
    assert by["greeting_disclosure"]["score"] == 1.0
    assert len(by["greeting_disclosure"]["evidence"]) == 2  # the AI's opener, Alice's hello
    assert by["resolution_confirmed"]["score"] == 1.0
    worse = api.staff(sam, "GET", f"/api/v1/quality/conversations/{bad['id']}").json()
    assert worse["score"] < result["score"]

    summary = api.staff(sam, "GET", "/api/v1/quality/agents").json()
    assert summary["scored_conversations"] == 2
    (row,) = summary["handlers"]
    assert row["name"] == "Alice Agent" and row["conversations"] == 2
    assert row["coaching"] and bad["id"] in row["coaching"][0]["examples"]

    # Agents cannot read quality; other workspaces cannot see this conversation.
    assert api.staff(alice, "GET", "/api/v1/quality/agents").status_code == 403
    assert api.staff(alice, "GET", f"/api/v1/quality/conversations/{good['id']}").status_code == 403
    server.call(_second_workspace(server))
    olga = api.login("olga@other.example", "other-admin")
    assert api.staff(olga, "GET", f"/api/v1/quality/conversations/{good['id']}").status_code == 404
    assert api.staff(olga, "GET", "/api/v1/quality/agents").json()["handlers"] == []


def test_knowledge_accuracy_checks_answers_against_their_articles(api: Api) -> None:
    """An FAQ answered from an article passes; once the article is rewritten to say something
    else, the same answer no longer matches the knowledge it came from; removed, it is flagged."""
    admin = api.login("admin@example.com", "demo-admin")
    sam = api.login("supervisor@example.com", "demo-supervisor")
    conv = api.start("pat@example.com", "Pat")
    r = api.say(conv, "What are your opening hours?")
    assert r.status_code == 200, r.text
    path = f"/api/v1/quality/conversations/{conv['id']}"

    def accuracy() -> dict[str, Any]:
        result = api.staff(sam, "GET", path).json()
        return {c["criterion"]: c for c in result["criteria"]}["knowledge_accuracy"]

    first = accuracy()
    assert first["applicable"] and first["score"] == 1.0 and first["evidence"]
    items = api.staff(admin, "GET", "/api/v1/articles").json()["items"]
    (hours,) = [a for a in items if a["slug"] == "opening-hours"]
    changed = api.staff(
        admin,
        "PUT",
        f"/api/v1/articles/{hours['id']}",
        json={
            "title": hours["title"],
            "body": "Our stores are permanently closed; we only sell online now.",
            "audience": "public",
        },
    )
    assert changed.status_code == 200, changed.text
    stale = accuracy()
    assert stale["score"] == 0.0 and "only" in stale["note"]
    gone = api.staff(admin, "DELETE", f"/api/v1/articles/{hours['id']}")
    assert gone.status_code in (200, 204), gone.text
    assert "no longer published" in accuracy()["note"]
