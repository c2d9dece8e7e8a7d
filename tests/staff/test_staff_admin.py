"""Staff administration over real HTTP and the desk WebSocket: admins edit, deactivate,
reactivate and reset staff of their own workspace; every change is audited; a deactivated
account is signed out at once (API and live desk) and cannot sign in; agents are refused."""

from __future__ import annotations

import pytest
from websockets.exceptions import ConnectionClosed

from tests.staff.helpers import ADMIN, AGENT, PASSWORD, audit_of, new_staff, new_workspace
from tests.support import Api, LiveServer, recv


def test_an_admin_edits_a_staff_member_and_every_change_is_audited(
    server: LiveServer, api: Api
) -> None:
    admin = api.login(*ADMIN)
    who = new_staff(server, "edit.me@example.com")
    r = api.staff(
        admin,
        "PATCH",
        f"/api/v1/agents/{who}",
        json={
            "name": "Edith <b>Me</b>",
            "role": "supervisor",
            "teams": ["red", "blue", "red"],
            "skills": ["billing"],
            "capacity": 5,
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["name"] == "Edith <b>Me</b>"  # stored as typed; pages render it as text
    assert (body["role"], body["teams"], body["skills"], body["capacity"]) == (
        "supervisor",
        ["blue", "red"],
        ["billing"],
        5,
    )
    # The person's existing token carries the new role at once.
    token = api.login("edit.me@example.com", PASSWORD)
    assert api.staff(token, "GET", "/api/v1/agents/me").json()["role"] == "supervisor"
    [entry] = audit_of(api, admin, "staff.updated", who)
    changes = entry["details"]["changes"]
    assert changes["role"] == {"before": "agent", "after": "supervisor"}
    assert changes["capacity"] == {"before": 3, "after": 5}
    assert set(changes) == {"name", "role", "teams", "skills", "capacity"}
    # Nothing changed: nothing audited.
    assert api.staff(admin, "PATCH", f"/api/v1/agents/{who}", json={"capacity": 5}).is_success
    assert len(audit_of(api, admin, "staff.updated", who)) == 1


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"role": "boss"}, "role must be one of"),
        ({"capacity": -1}, "capacity"),
        ({"capacity": 51}, "capacity"),
        ({"name": "   "}, "name"),
        ({"teams": ["x" * 65]}, "at most 64"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_edits_are_422_with_a_reason(
    server: LiveServer, api: Api, body: dict[str, object], needle: str
) -> None:
    admin = api.login(*ADMIN)
    who = new_staff(server, "bad.edit@example.com")
    r = api.staff(admin, "PATCH", f"/api/v1/agents/{who}", json=body)
    assert r.status_code == 422, r.text
    assert needle in r.text


def test_deactivation_signs_out_at_once_and_blocks_sign_in_until_reactivated(
    server: LiveServer, api: Api
) -> None:
    admin = api.login(*ADMIN)
    who = new_staff(server, "leaver@example.com")
    token = api.login("leaver@example.com", PASSWORD)
    desk = api.agent_ws(token)
    conv = api.start("left.behind@example.com", "Left Behind")
    assert api.say(conv, "agent").status_code == 200
    r = api.staff(token, "POST", f"/api/v1/conversations/{conv['id']}/accept")
    assert r.status_code == 200, r.text
    r = api.staff(token, "PUT", "/api/v1/agents/me/status", json={"status": "available"})
    assert r.status_code == 200, r.text
    try:
        r = api.staff(admin, "POST", f"/api/v1/agents/{who}/deactivate")
        assert r.status_code == 200, r.text
        assert r.json()["active"] is False and r.json()["status"] == "away"
        assert r.json()["online"] is False  # no longer offered conversations
        # Their open conversation went back to the queue at once.
        assert r.json()["open_conversations"] == 0
        assert r.json()["requeued"] == [conv["id"]]
        # The open desk is closed by the server, as "signed out".
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                recv(desk, timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    finally:
        desk.close()
    # Every token stopped working with the deactivation.
    assert api.staff(token, "GET", "/api/v1/agents/me").status_code == 401
    r = api.http.post(
        "/api/v1/auth/token", json={"email": "leaver@example.com", "password": PASSWORD}
    )
    assert r.status_code == 401 and "deactivated" in r.json()["detail"]
    # Off the team list (a transfer target no more), except for an admin who asks.
    listed = {a["id"] for a in api.staff(admin, "GET", "/api/v1/agents").json()["items"]}
    assert who not in listed
    everyone = api.staff(admin, "GET", "/api/v1/agents?include_inactive=true").json()["items"]
    assert [a["active"] for a in everyone if a["id"] == who] == [False]
    # The conversation is queued again, with why, and the customer was told.
    read = api.staff(admin, "GET", f"/api/v1/conversations/{conv['id']}").json()
    assert read["status"] == "queued" and read["agent"] is None
    [requeued] = [e for e in read["events"] if e["type"] == "conversation.requeued"]
    assert requeued["data"]["reason"] == "agent_deactivated"
    assert requeued["data"]["from_agent_id"] == who
    assert "no longer available" in read["messages"][-1]["text"]
    queue = api.staff(admin, "GET", "/api/v1/queue").json()["items"]
    assert conv["id"] in [q["conversation_id"] for q in queue]
    audited = api.staff(admin, "GET", "/api/v1/audit?action=staff.deactivated").json()["items"]
    assert [a["target_id"] for a in audited] == [who]
    agent = api.login(*AGENT)
    seen = api.staff(agent, "GET", "/api/v1/agents?include_inactive=true").json()["items"]
    assert who not in {a["id"] for a in seen}  # only admins see deactivated accounts

    assert api.staff(admin, "POST", f"/api/v1/agents/{who}/deactivate").status_code == 409
    r = api.staff(admin, "POST", f"/api/v1/agents/{who}/reactivate")
    assert r.status_code == 200 and r.json()["active"] is True
    assert api.staff(token, "GET", "/api/v1/agents/me").status_code == 401  # stays revoked
    fresh = api.login("leaver@example.com", PASSWORD)
    assert api.staff(fresh, "GET", "/api/v1/agents/me").status_code == 200

    [off] = audit_of(api, admin, "staff.deactivated", who)
    assert off["details"]["tokens_revoked"] == 1 and off["actor_type"] == "staff"
    assert len(audit_of(api, admin, "staff.reactivated", who)) == 1


def test_an_admin_resets_a_password_and_the_old_one_and_its_tokens_stop_working(
    server: LiveServer, api: Api
) -> None:
    admin = api.login(*ADMIN)
    who = new_staff(server, "forgetful@example.com")
    token = api.login("forgetful@example.com", PASSWORD)
    r = api.staff(admin, "POST", f"/api/v1/agents/{who}/password", json={})
    assert r.status_code == 200, r.text
    temporary = r.json()["temporary_password"]
    assert len(temporary) >= 12
    assert api.staff(token, "GET", "/api/v1/agents/me").status_code == 401
    bad = api.http.post(
        "/api/v1/auth/token", json={"email": "forgetful@example.com", "password": PASSWORD}
    )
    assert bad.status_code == 401
    assert api.login("forgetful@example.com", temporary)
    # An admin may choose it instead; it is never echoed.
    r = api.staff(
        admin, "POST", f"/api/v1/agents/{who}/password", json={"password": "chosen-by-admin-1"}
    )
    assert r.status_code == 200 and "temporary_password" not in r.json()
    assert api.login("forgetful@example.com", "chosen-by-admin-1")
    short = api.staff(admin, "POST", f"/api/v1/agents/{who}/password", json={"password": "short"})
    assert short.status_code == 422 and "at least 10" in short.json()["detail"]
    entries = audit_of(api, admin, "staff.password_reset", who)
    assert sorted(e["details"]["generated"] for e in entries) == [False, True]
    assert "chosen-by-admin-1" not in str(entries) and temporary not in str(entries)


def test_agents_cannot_administer_and_admins_only_their_own_workspace(
    server: LiveServer, api: Api
) -> None:
    admin = api.login(*ADMIN)
    agent = api.login(*AGENT)
    who = new_staff(server, "target@example.com")
    calls = [
        ("PATCH", f"/api/v1/agents/{who}", {"name": "Hacked"}),
        ("POST", f"/api/v1/agents/{who}/deactivate", None),
        ("POST", f"/api/v1/agents/{who}/reactivate", None),
        ("POST", f"/api/v1/agents/{who}/password", {}),
        ("DELETE", f"/api/v1/agents/{who}/mfa", None),
    ]
    for method, path, body in calls:
        r = api.staff(agent, method, path, json=body)
        assert r.status_code == 403, (path, r.text)
        assert "admin" in r.json()["detail"]
    new_workspace(server, "elsewhere")
    other = new_staff(server, "far.away@example.com", workspace="elsewhere")
    for method, path, body in calls:
        r = api.staff(admin, method, path.replace(who, other), json=body)
        assert r.status_code == 404, (path, r.text)
    assert api.login("far.away@example.com", PASSWORD)  # untouched
    # An admin cannot lock themselves out.
    me = api.staff(admin, "GET", "/api/v1/agents/me").json()["id"]
    r = api.staff(admin, "POST", f"/api/v1/agents/{me}/deactivate")
    assert r.status_code == 422 and "your own" in r.json()["detail"]
    r = api.staff(admin, "PATCH", f"/api/v1/agents/{me}", json={"role": "agent"})
    assert r.status_code == 422
    assert api.staff(admin, "POST", "/api/v1/agents/nope/deactivate").status_code == 404
