"""Human approval of consequential AI actions, end to end over HTTP and WebSocket: the AI holds
a refund above the limit, a supervisor decides in the desk API, the customer is told."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tests.compliance.test_compliance_e2e import say, verified
from tests.support import Api, is_message, recv_until

AI_CANCELS = "human_intents:\n  cancel_order: null\n"


def outbox(api: Api, kind: str, email: str = "alex@example.com") -> list[dict[str, Any]]:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    items = api.staff(sup, "GET", "/api/v1/demo/outbox", params={"to": email}).json()["items"]
    return [i for i in items if i["kind"] == kind]


def request_refund(api: Api, conv: dict[str, Any], *, with_code: bool) -> dict[str, Any]:
    body = say(api, conv, "I want to cancel my order")
    assert body["conversation"]["routing"]["intent"] == "cancel_order"
    if with_code:
        assert "6-digit code" in body["messages"][-1]["text"]
        [mail] = outbox(api, "verification_code")
        code = re.search(r"\d{6}", mail["body"]).group(0)  # type: ignore[union-attr]
        body = say(api, conv, code)
    assert "Which order" in body["messages"][-1]["text"]
    body = say(api, conv, "1001")
    assert "refund $113.50" in body["messages"][-1]["text"]
    return say(api, conv, "yes")


def test_refund_over_the_limit_waits_for_a_supervisor_then_runs(
    api: Api, workspace_policy: Callable[[str], None]
) -> None:
    workspace_policy(AI_CANCELS)
    conv = api.start()
    body = request_refund(api, conv, with_code=True)
    assert "awaiting review" in body["messages"][-1]["text"]
    assert body["conversation"]["status"] == "bot"
    assert outbox(api, "refund") == []  # nothing ran yet

    agent = api.login("agent@example.com", "demo-agent")
    [pending] = api.staff(agent, "GET", "/api/v1/approvals", params={"status": "pending"}).json()
    assert pending["amount"] == 113.5 and pending["action"] == "cancel_and_refund"
    assert pending["conversation_id"] == conv["id"] and "email" not in pending["params"]
    refused = api.staff(agent, "POST", f"/api/v1/approvals/{pending['id']}/approve")
    assert refused.status_code == 403 and "supervisor" in refused.json()["detail"]

    sup = api.login("supervisor@example.com", "demo-supervisor")
    with api.customer_ws(conv) as ws:
        r = api.staff(sup, "POST", f"/api/v1/approvals/{pending['id']}/approve", json={})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "executed" and r.json()["result"]["ok"]
        told = recv_until(ws, is_message("your request was approved"))
    assert "Order 1001 is cancelled and $113.50 is refunded" in told["message"]["text"]
    [refund] = outbox(api, "refund")
    assert "$113.50 for order 1001" in refund["body"]
    again = api.staff(sup, "POST", f"/api/v1/approvals/{pending['id']}/approve")
    assert again.status_code == 409

    # The order really is cancelled: tracking it now says so.
    after = api.start()
    say(api, after, "Where is my order?")
    assert "Order 1001 is cancelled" in say(api, after, "1001")["messages"][-1]["text"]

    record = api.staff(sup, "GET", f"/api/v1/compliance/conversations/{conv['id']}").json()
    types = [e["type"] for e in record["events"]]
    assert types.count("approval.requested") == 1 and types.count("approval.decided") == 1
    assert record["verification"] == {"verified": True, "method": "one_time_code"}


def test_a_rejected_refund_changes_nothing_and_the_customer_is_told(
    api: Api, workspace_policy: Callable[[str], None]
) -> None:
    workspace_policy(AI_CANCELS)
    conv = verified(api)
    request_refund(api, conv, with_code=False)  # signed identity: no code needed
    sup = api.login("supervisor@example.com", "demo-supervisor")
    [pending] = api.staff(sup, "GET", "/api/v1/approvals?status=pending").json()
    r = api.staff(
        sup, "POST", f"/api/v1/approvals/{pending['id']}/reject", json={"note": "Already shipped."}
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    read = api.http.get(
        f"/api/v1/conversations/{conv['id']}",
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    ).json()
    last = read["messages"][-1]
    assert "could not approve it" in last["text"] and "Already shipped." in last["text"]
    assert outbox(api, "refund") == []
    assert api.staff(sup, "GET", "/api/v1/approvals?status=pending").json() == []


def test_under_the_limit_the_ai_refunds_at_once(
    api: Api, workspace_policy: Callable[[str], None]
) -> None:
    workspace_policy(AI_CANCELS + "compliance:\n  approvals:\n    refund_over: 500\n")
    conv = verified(api)
    body = request_refund(api, conv, with_code=False)
    assert "is cancelled and $113.50 is refunded" in body["messages"][-1]["text"]
    assert len(outbox(api, "refund")) == 1
    sup = api.login("supervisor@example.com", "demo-supervisor")
    assert api.staff(sup, "GET", "/api/v1/approvals").json() == []


def test_a_workspace_can_give_cancellations_back_to_people(
    api: Api, workspace_policy: Callable[[str], None]
) -> None:
    workspace_policy("human_intents:\n  cancel_order: 2\n")
    body = say(api, api.start(), "I want to cancel my order")
    assert body["conversation"]["status"] == "queued"
    assert body["conversation"]["routing"]["reasons"] == ["human_intent"]


def test_approvals_are_scoped_and_validated(api: Api) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    assert api.staff(sup, "GET", "/api/v1/approvals/nope").status_code == 404
    assert api.staff(sup, "POST", "/api/v1/approvals/nope/approve").status_code == 404
    assert api.staff(sup, "GET", "/api/v1/approvals?status=bogus").status_code == 422
    assert api.http.get("/api/v1/approvals").status_code == 401


def test_an_account_change_waits_for_approval_then_applies(
    api: Api, workspace_policy: Callable[[str], None]
) -> None:
    workspace_policy("human_intents:\n  update_contact_details: null\n")
    conv = verified(api)
    body = say(api, conv, "I need to update my phone number")
    assert body["messages"][-1]["buttons"] == ["Phone number", "Name"]
    say(api, conv, "Phone number")
    assert "+1 415 555 0100" in say(api, conv, "+1 415 555 0100")["messages"][-1]["text"]
    held = say(api, conv, "yes")["messages"][-1]["text"]
    assert "awaiting review" in held and "phone number on your account" in held
    sup = api.login("supervisor@example.com", "demo-supervisor")
    before = api.staff(sup, "GET", f"/api/v1/conversations/{conv['id']}").json()["customer"]
    assert before["phone"] != "+1 415 555 0100"
    [pending] = api.staff(sup, "GET", "/api/v1/approvals?status=pending").json()
    assert pending["action"] == "change_contact_detail" and pending["amount"] is None
    done = api.staff(sup, "POST", f"/api/v1/approvals/{pending['id']}/approve").json()
    assert done["status"] == "executed"
    after = api.staff(sup, "GET", f"/api/v1/conversations/{conv['id']}").json()
    assert after["customer"]["phone"] == "+1 415 555 0100"
    assert "is now +1 415 555 0100" in after["messages"][-1]["text"]
