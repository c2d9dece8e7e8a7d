"""Bugs found in review, kept fixed."""

from __future__ import annotations

from tests.support import Api, LiveServer


def test_nul_and_unpaired_surrogates_are_422_not_500(api: Api) -> None:
    conv = api.start()
    headers = {
        "Authorization": f"Bearer {conv['customer_token']}",
        "Content-Type": "application/json",
    }
    for raw in ('{"text": "a\\u0000b"}', '{"text": "\\ud800"}'):
        r = api.http.post(
            f"/api/v1/conversations/{conv['id']}/messages", content=raw, headers=headers
        )
        assert r.status_code == 422, r.text
        assert "text" in r.json()["detail"]
    r = api.http.post(
        "/api/v1/conversations",
        content='{"channel": "webchat", "customer": {"email": "x@example.com", "name": "x\\u0000"}}',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 422


def test_escalation_reasons_survive_later_messages(api: Api) -> None:
    conv = api.start()
    api.say(conv, "agent")
    later = api.say(conv, "hello? anyone?").json()["conversation"]
    assert later["routing"]["reasons"] == ["customer_request"]
    token = api.login("agent@example.com", "demo-agent")
    [item] = api.staff(token, "GET", "/api/v1/queue").json()["items"]
    assert item["reasons"] == ["customer_request"]
    assert "asked for a person" in item["handoff"]["summary"]


def test_a_broken_policy_file_does_not_take_the_workspace_down(
    api: Api, server: LiveServer
) -> None:
    policy_dir = server.settings.policy_dir
    policy_dir.mkdir(parents=True, exist_ok=True)
    path = policy_dir / "default.yaml"
    path.write_text("confidence_threshold: [oops\n")
    try:
        conv = api.start()
        assert api.say(conv, "agent").json()["conversation"]["status"] == "queued"
    finally:
        path.unlink()


def test_transfer_to_an_agent_records_the_assignment(api: Api) -> None:
    conv = api.start()
    api.say(conv, "agent")
    alice = api.login("agent@example.com", "demo-agent")
    api.staff(alice, "POST", f"/api/v1/conversations/{conv['id']}/accept")
    team = api.staff(alice, "GET", "/api/v1/agents").json()["items"]
    bob = next(a for a in team if a["email"] == "bob@example.com")
    r = api.staff(
        alice, "POST", f"/api/v1/conversations/{conv['id']}/transfer", json={"agent_id": bob["id"]}
    )
    assert r.status_code == 200
    events = api.staff(alice, "GET", f"/api/v1/conversations/{conv['id']}").json()["events"]
    assigned = [e["data"] for e in events if e["type"] == "conversation.assigned"]
    assert assigned[-1] == {"agent_id": bob["id"], "agent_name": "Bob Tech", "via": "transfer"}


def test_a_failed_turn_can_be_retried_at_once(api: Api, server: LiveServer) -> None:
    conv = api.start()
    runtime = server.runtime
    original = runtime.backend_factory

    class Broken:
        def __init__(self, *_: object) -> None:
            raise RuntimeError("the company's order system is down")

    runtime.backend_factory = Broken  # type: ignore[assignment]
    try:
        r = api.say(conv, "Where is my order?", **{"Idempotency-Key": "k1"})
        assert r.status_code == 500
    finally:
        runtime.backend_factory = original
    retry = api.say(conv, "Where is my order?", **{"Idempotency-Key": "k1"})
    assert retry.status_code == 200, retry.text
    assert "order number" in retry.json()["messages"][-1]["text"]
