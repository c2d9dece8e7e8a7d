"""Business hours end to end over real HTTP: the API (validation, roles, audit,
team overrides), the after-hours path (honest message with the next opening, the customer's
choice, the flag in the desk queue, the AI still serving Tier 1), the expected-wait message
while open, and idle close with reopening. Every date is relative to the test clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from hybridcx.hours.calendar import describe
from hybridcx.hours.service import idle_sweep
from hybridcx.kit.ids import utcnow
from tests.support import Api, LiveServer

EVERY_DAY = {
    d: [{"open": "09:00", "close": "17:00"}]
    for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}


# Relative to the test clock, and run again at a year end and a DST change (.ci/run).
pytestmark = pytest.mark.calendar


def closed_today(api: Api, token: str, **extra: Any) -> datetime:
    """Open 09:00-17:00 UTC every day except today (a holiday): returns tomorrow's opening."""
    today = utcnow().date()
    body = {
        "timezone": "UTC",
        "weekly": EVERY_DAY,
        "exceptions": [{"date": today.isoformat(), "name": "Staff day", "hours": []}],
        **extra,
    }
    r = api.staff(token, "PUT", "/api/v1/business-hours", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["open_now"] is False
    return datetime.combine(today + timedelta(days=1), datetime.min.time()) + timedelta(hours=9)


def escalate(api: Api, email: str = "alex@example.com", name: str = "Alex") -> dict[str, Any]:
    conv = api.start(email, name)
    r = api.say(conv, "agent")
    assert r.status_code == 200, r.text
    conv["turn"] = r.json()
    assert conv["turn"]["conversation"]["status"] == "queued"
    return conv


def audit_actions(api: Api, admin: str, action: str) -> list[dict[str, Any]]:
    r = api.staff(admin, "GET", "/api/v1/audit", params={"action": action})
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


def test_hours_api_validates_is_audited_and_teams_override(api: Api) -> None:
    agent = api.login("agent@example.com", "demo-agent")
    sup = api.login("supervisor@example.com", "demo-supervisor")
    admin = api.login("admin@example.com", "demo-admin")
    fresh = api.staff(agent, "GET", "/api/v1/business-hours").json()
    assert fresh["workspace"]["configured"] is False and fresh["workspace"]["always_open"]
    assert fresh["workspace"]["open_now"] is True
    body = {"timezone": "Europe/Berlin", "weekly": {"mon": [{"open": "09:00", "close": "17:00"}]}}
    # agents read, they do not change
    assert api.staff(agent, "PUT", "/api/v1/business-hours", json=body).status_code == 403
    for bad, message in [
        ({**body, "timezone": "Mars/Olympus"}, "Unknown time zone"),
        ({**body, "weekly": {"mon": [{"open": "17:00", "close": "09:00"}]}}, "before it opens"),
        ({**body, "weekly": {"someday": []}}, "Unknown day"),
        ({**body, "exceptions": [{"date": "25.12.2026"}]}, "YYYY-MM-DD"),
    ]:
        r = api.staff(sup, "PUT", "/api/v1/business-hours", json=bad)
        assert r.status_code == 422, r.text
        assert message in r.text
    r = api.staff(sup, "PUT", "/api/v1/business-hours", json={**body, "idle_close_minutes": 1})
    assert r.status_code == 422  # at least five minutes
    r = api.staff(sup, "PUT", "/api/v1/business-hours", json={**body, "idle_close_minutes": 45})
    assert r.status_code == 200, r.text
    assert r.json()["timezone"] == "Europe/Berlin" and r.json()["idle_close_minutes"] == 45
    # a team's own hours
    team = {"timezone": "America/New_York", "weekly": EVERY_DAY}
    r = api.staff(sup, "PUT", "/api/v1/business-hours/teams/billing", json=team)
    assert r.status_code == 200, r.text
    assert api.staff(sup, "PUT", "/api/v1/business-hours/teams/b%20d", json=team).status_code == 422
    read = api.staff(agent, "GET", "/api/v1/business-hours").json()
    assert read["workspace"]["weekly"] == body["weekly"]
    assert [t["team"] for t in read["teams"]] == ["billing"]
    assert read["teams"][0]["timezone"] == "America/New_York"
    r = api.staff(sup, "DELETE", "/api/v1/business-hours/teams/billing")
    assert r.status_code == 204
    assert api.staff(sup, "DELETE", "/api/v1/business-hours/teams/billing").status_code == 404
    assert api.staff(agent, "GET", "/api/v1/business-hours").json()["teams"] == []
    updated = audit_actions(api, admin, "business_hours.updated")
    assert len(updated) == 2
    assert {e["details"]["team"] for e in updated} == {None, "billing"}
    assert len(audit_actions(api, admin, "business_hours.deleted")) == 1


def test_after_hours_path_message_choice_and_queue_flag(api: Api) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    opens = closed_today(api, sup)
    # The AI keeps serving Tier 1 while the team is away.
    conv = api.start("alex@example.com", "Alex")
    r = api.say(conv, "Where is my order 1001?")
    assert r.json()["conversation"]["status"] == "bot"
    assert any(m["author"] == "ai" and "1001" in m["text"] for m in r.json()["messages"])
    # A conversation that needs a person: an honest message with the next opening.
    r = api.say(conv, "agent")
    turn = r.json()
    assert turn["conversation"]["status"] == "queued"
    [notice] = [m["text"] for m in turn["messages"] if m["author"] == "system"]
    assert notice.startswith("Our team is away right now.")
    assert f"We're back {describe(opens, 'UTC')}." in notice
    assert "leave a message" in notice and "call you back" in notice
    assert "shortly" not in " ".join(m["text"] for m in turn["messages"])
    flag = turn["conversation"]["after_hours"]
    assert flag["next_open"] == opens.isoformat() + "Z" or flag["next_open"].startswith(
        opens.isoformat()
    )
    assert flag["choice"] is None
    # The desk's queue shows it flagged for the next shift.
    agent = api.login("agent@example.com", "demo-agent")
    [item] = api.staff(agent, "GET", "/api/v1/queue").json()["items"]
    assert item["conversation_id"] == conv["id"] and item["after_hours"]["next_open"]

    path = f"/api/v1/conversations/{conv['id']}/after-hours"
    auth = {"Authorization": f"Bearer {conv['customer_token']}"}
    # Only the customer's own token; bad input is a 4xx with a reason.
    other = api.start("jordan.reed@example.com", "Jordan")
    r = api.http.post(
        path,
        json={"choice": "message"},
        headers={"Authorization": f"Bearer {other['customer_token']}"},
    )
    assert r.status_code == 403
    assert api.http.post(path, json={"choice": "fax"}, headers=auth).status_code == 422
    r = api.http.post(path, json={"choice": "callback"}, headers=auth)
    assert r.status_code == 422 and "callback_at" in r.text
    closed_time = (opens - timedelta(hours=3)).isoformat() + "Z"  # 06:00 tomorrow: closed
    r = api.http.post(
        path,
        json={"choice": "callback", "callback_at": closed_time, "phone": "+14155550132"},
        headers=auth,
    )
    assert r.status_code == 422 and "closed at that time" in r.text
    past = (utcnow() - timedelta(hours=1)).isoformat() + "Z"
    r = api.http.post(path, json={"choice": "callback", "callback_at": past}, headers=auth)
    assert r.status_code == 422 and "past" in r.text
    r = api.http.post(
        path,
        json={
            "choice": "callback",
            "callback_at": (opens + timedelta(hours=1)).isoformat() + "Z",
            "phone": "not a number",
        },
        headers=auth,
    )
    assert r.status_code == 422 and "phone number" in r.text
    # Leave a message: follow-up by email (the customer has one).
    r = api.http.post(path, json={"choice": "message"}, headers=auth)
    assert r.status_code == 200, r.text
    assert r.json()["after_hours"]["choice"] == "message"
    assert r.json()["after_hours"]["contact"] == "email"
    assert "follow up by email" in r.json()["message"]["text"]
    # ... or change it to a callback when the team is open.
    at = opens + timedelta(hours=1)
    r = api.http.post(
        path,
        json={
            "choice": "callback",
            "callback_at": at.isoformat() + "+00:00",
            "phone": "+1 (415) 555-0132",
        },
        headers=auth,
    )
    assert r.status_code == 200, r.text
    assert r.json()["after_hours"]["callback_at"].startswith(at.isoformat())
    assert f"we'll call you back {describe(at, 'UTC')}" in r.json()["message"]["text"]
    [item] = [
        i
        for i in api.staff(agent, "GET", "/api/v1/queue").json()["items"]
        if i["conversation_id"] == conv["id"]
    ]
    assert item["after_hours"]["choice"] == "callback"
    assert item["customer"]["phone"] == "+14155550132"
    events = api.staff(sup, "GET", f"/api/v1/conversations/{conv['id']}").json()["events"]
    types = [e["type"] for e in events]
    assert {"conversation.after_hours", "after_hours.message", "after_hours.callback"} <= set(types)
    # A conversation that is not waiting for the team to open has no choice to make.
    r = api.http.post(
        f"/api/v1/conversations/{other['id']}/after-hours",
        json={"choice": "message"},
        headers={"Authorization": f"Bearer {other['customer_token']}"},
    )
    assert r.status_code == 409


def test_team_hours_override_the_workspace(api: Api, server: LiveServer) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    closed_today(api, sup)

    # The team of the default inbox (if any) is open around the clock: its conversations are
    # not after hours. Conversations without a team follow the workspace.
    async def team_of_default_inbox() -> str | None:
        from sqlalchemy import select

        from hybridcx.models import Inbox

        async with server.runtime.sessions() as session:
            stmt = select(Inbox).where(Inbox.channel == "webchat", Inbox.is_default.is_(True))
            inbox = (await session.execute(stmt)).scalars().first()
            if inbox is not None and not inbox.team:
                inbox.team = "general"
                await session.commit()
            return inbox.team if inbox else None

    team = server.call(team_of_default_inbox())
    assert team
    always = {
        "timezone": "UTC",
        "weekly": {d: [{"open": "00:00", "close": "24:00"}] for d in EVERY_DAY},
    }
    assert (
        api.staff(sup, "PUT", f"/api/v1/business-hours/teams/{team}", json=always).status_code
        == 200
    )
    conv = escalate(api)
    assert conv["turn"]["conversation"]["after_hours"] is None
    [notice] = [m["text"] for m in conv["turn"]["messages"] if m["author"] == "system"]
    assert "Our team is away" not in notice


def test_open_hours_tell_the_expected_wait_from_staffed_agents(api: Api) -> None:
    # Nobody online: no promise of a time.
    conv = escalate(api)
    [notice] = [m["text"] for m in conv["turn"]["messages"] if m["author"] == "system"]
    assert "can't promise a time" in notice
    assert conv["turn"]["conversation"]["after_hours"] is None
    # The VIP greeting (queued at once) no longer promises "shortly" either.
    vip = api.start("vip@example.com", "Victoria")
    texts = [m["text"] for m in vip["messages"]]
    assert not any("shortly" in t for t in texts)
    assert any("number 2 in line" in t or "can't promise" in t for t in texts)
    # One agent online and available, busy to capacity: the wait is estimated, not fixed.
    token = api.login("agent@example.com", "demo-agent")
    api.staff(token, "PUT", "/api/v1/agents/me/status", json={"status": "available"})
    desk = api.agent_ws(token)
    try:
        api.staff(token, "PUT", "/api/v1/agents/me/status", json={"status": "available"})
        for email in ("jordan.reed@example.com", "priya.patel@example.com"):
            escalate(api, email)
        me = api.staff(token, "GET", "/api/v1/agents/me").json()
        assert me["online"] is True and me["load"] == me["capacity"] == 3
        later = escalate(api, "sam.lee@example.com", "Sam")
        [notice] = [m["text"] for m in later["turn"]["messages"] if m["author"] == "system"]
        assert "expected wait" in notice and "minutes" in notice
    finally:
        desk.close()


def _sweep(server: LiveServer, minutes: int) -> int:
    return int(server.call(idle_sweep(server.runtime, now=utcnow() + timedelta(minutes=minutes))))


def test_idle_conversations_close_with_a_notice_and_reopen(api: Api, server: LiveServer) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    conv = api.start("alex@example.com", "Alex")  # the AI greeted; the customer said nothing
    waiting = escalate(api, "jordan.reed@example.com", "Jordan")  # waits on the team
    assert _sweep(server, 600) == 0  # no idle time set: nothing closes
    body = {"timezone": "UTC", "weekly": {}, "idle_close_minutes": 30}
    assert api.staff(sup, "PUT", "/api/v1/business-hours", json=body).status_code == 200
    assert _sweep(server, 20) == 0  # not idle long enough
    assert _sweep(server, 31) == 1
    read = api.http.get(
        f"/api/v1/conversations/{conv['id']}",
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    ).json()
    assert read["status"] == "resolved"
    assert read["messages"][-1]["author"] == "system"
    assert "closed this conversation" in read["messages"][-1]["text"]
    queued = api.staff(sup, "GET", f"/api/v1/conversations/{waiting['id']}").json()
    assert queued["status"] == "queued"  # the team owes that one an answer
    # The customer writes again: it reopens with the AI.
    r = api.say(conv, "What are your opening hours?")
    assert r.status_code == 200, r.text
    assert r.json()["conversation"]["status"] == "bot"
    assert any(m["author"] == "ai" for m in r.json()["messages"])
    events = [
        e["type"]
        for e in api.staff(sup, "GET", f"/api/v1/conversations/{conv['id']}").json()["events"]
    ]
    assert "conversation.reopened" in events
    assert events.count("conversation.resolved") == 1
    # A conversation an agent resolved stays closed.
    agent = api.login("agent@example.com", "demo-agent")
    assert (
        api.staff(agent, "POST", f"/api/v1/conversations/{waiting['id']}/accept").status_code == 200
    )
    assert (
        api.staff(agent, "POST", f"/api/v1/conversations/{waiting['id']}/resolve").status_code
        == 200
    )
    assert api.say(waiting, "hello?").status_code == 409
