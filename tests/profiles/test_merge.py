"""One customer profile across channels: a web chat customer and an SMS customer are
merged (proposed by an unverified identity, accepted by a supervisor) and show one history; a
verified identity merges at once; an unmerge puts back what moved; every step is audited."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from tests.channels.twilio_helpers import conversations_of, send_sms, sms_replies
from tests.support import Api, LiveServer

PHONE = "+14155550177"


def supervisor(api: Api) -> str:
    return api.login("supervisor@example.com", "demo-supervisor")


def call(api: Api, token: str, method: str, path: str, status: int = 200, **kw: Any) -> Any:
    r = api.staff(token, method, path, **kw)
    assert r.status_code == status, r.text
    return r.json()


def customer_of(api: Api, token: str, conversation_id: str) -> str:
    view = call(api, token, "GET", f"/api/v1/conversations/{conversation_id}")
    return str(view["customer"]["id"])


def webchat_and_sms(api: Api, token: str) -> tuple[str, str]:
    conv = api.start(email="jordan@example.com", name="Jordan")
    assert api.say(conv, "What are your opening hours?").status_code in (200, 201)
    sms_replies(send_sms(api, PHONE, "What are your opening hours?"))
    [sms] = conversations_of(api, "sms")
    web_customer, sms_customer = (
        customer_of(api, token, conv["id"]),
        customer_of(api, token, sms["id"]),
    )
    assert web_customer != sms_customer  # two records: nothing tied them together yet
    return web_customer, sms_customer


def test_a_merge_of_a_web_chat_and_an_sms_customer_shows_one_history(
    server: LiveServer, api: Api
) -> None:
    token = supervisor(api)
    web, sms = webchat_and_sms(api, token)
    before = call(api, token, "GET", f"/api/v1/customers/{web}")
    assert before["channels"] == ["webchat"] and len(before["history"]) == 1

    # Jordan tells the agent their mobile number: unverified, so it is only proposed.
    linked = call(
        api,
        token,
        "POST",
        f"/api/v1/customers/{web}/identities",
        json={"kind": "phone", "value": "+1 (415) 555-0177", "verified": False},
    )
    assert linked["merged"] == [] and len(linked["proposed"]) == 1
    proposals = call(api, token, "GET", "/api/v1/customers/merge-proposals")["items"]
    [proposal] = [p for p in proposals if {p["survivor_id"], p["merged_id"]} == {web, sms}]
    assert proposal["status"] == "proposed" and proposal["reason"] == "same_phone"
    assert {c["id"] for c in proposal["customers"]} == {web, sms}

    merged = call(
        api, token, "POST", f"/api/v1/customers/{web}/merge", json={"proposal_id": proposal["id"]}
    )
    assert merged["status"] == "merged" and merged["conversations_moved"] == 1
    assert merged["fields_moved"] == ["phone"]  # the web chat record had no phone

    profile = call(api, token, "GET", f"/api/v1/customers/{web}")
    assert profile["channels"] == ["sms", "webchat"]
    assert len(profile["history"]) == 2
    assert profile["customer"]["email"] == "jordan@example.com"
    assert profile["customer"]["phone"] == PHONE
    # the 360 panel reads the same one history
    overview = call(api, token, "GET", f"/api/v1/customers/{web}/overview")
    assert {c["channel"] for c in overview["conversations"]} == {"sms", "webchat"}
    # the absorbed id answers with the survivor
    old = call(api, token, "GET", f"/api/v1/customers/{sms}")
    assert old["merged_into"] == web and old["customer"]["id"] == web
    assert call(api, token, "GET", "/api/v1/customers/merge-proposals")["items"] == []

    # the next text from that phone lands on the one profile
    sms_replies(send_sms(api, PHONE, "I have a question about my order"))
    owners = {customer_of(api, token, c["id"]) for c in conversations_of(api, "sms")}
    assert owners == {web}

    # unmerge: exactly what moved goes back
    undone = call(api, token, "POST", f"/api/v1/customers/{sms}/unmerge", json={})
    assert undone["status"] == "unmerged"
    back = call(api, token, "GET", f"/api/v1/customers/{sms}")
    assert back["merged_into"] is None and back["customer"]["phone"] == PHONE
    assert [h["channel"] for h in back["history"]] == ["sms"]
    web_after = call(api, token, "GET", f"/api/v1/customers/{web}")
    assert web_after["customer"]["phone"] is None
    assert [h["channel"] for h in web_after["history"]] == ["webchat"]
    # undone once; a second unmerge has nothing to undo
    again = api.staff(token, "POST", f"/api/v1/customers/{sms}/unmerge", json={})
    assert again.status_code == 409, again.text

    admin = api.login("admin@example.com", "demo-admin")
    entries = call(api, admin, "GET", "/api/v1/audit", params={"limit": 200})
    entries = entries["items"] if isinstance(entries, dict) else entries
    actions = {e["action"] for e in entries}
    assert {"customer.identity_linked", "customer.merged", "customer.unmerged"} <= actions


def test_a_verified_identity_merges_at_once(server: LiveServer, api: Api) -> None:
    token = supervisor(api)
    web, sms = webchat_and_sms(api, token)
    # The SMS customer proves the web chat address (a one-time code, a signed identity).
    result = call(
        api,
        token,
        "POST",
        f"/api/v1/customers/{sms}/identities",
        json={"kind": "email", "value": " Jordan@Example.com ", "verified": True},
    )
    assert result["proposed"] == [] and len(result["merged"]) == 1
    survivor = result["customer_id"]
    assert survivor == web  # the older record survives
    profile = call(api, token, "GET", f"/api/v1/customers/{survivor}")
    assert profile["channels"] == ["sms", "webchat"]
    assert profile["merges"][0]["reason"] == "verified_email"
    # linking it again changes nothing
    again = call(
        api,
        token,
        "POST",
        f"/api/v1/customers/{sms}/identities",
        json={"kind": "email", "value": "jordan@example.com", "verified": True},
    )
    assert again["merged"] == [] and again["customer_id"] == web


def test_customers_sharing_a_phone_are_proposed_and_can_be_dismissed(
    server: LiveServer, api: Api
) -> None:
    admin = api.login("admin@example.com", "demo-admin")
    ids = []
    for email in ("sam.one@example.com", "sam.two@example.com"):
        body = {"email": email, "name": "Sam", "phone": "+44 20 7946 0958"}
        ids.append(call(api, admin, "POST", "/api/v1/customers", 201, json=body)["id"])
    items = call(api, admin, "GET", "/api/v1/customers/merge-proposals")["items"]
    [proposal] = [p for p in items if {p["survivor_id"], p["merged_id"]} == set(ids)]
    dismissed = call(
        api, admin, "POST", f"/api/v1/customers/merge-proposals/{proposal['id']}/dismiss"
    )
    assert dismissed["status"] == "dismissed"
    # a dismissed pair is not proposed again
    items = call(api, admin, "GET", "/api/v1/customers/merge-proposals")["items"]
    assert not [p for p in items if {p["survivor_id"], p["merged_id"]} == set(ids)]
    # staff can still merge them directly, and both emails stay findable
    merged = call(
        api, admin, "POST", f"/api/v1/customers/{ids[0]}/merge", json={"customer_id": ids[1]}
    )
    assert merged["fields_moved"] == []
    profile = call(api, admin, "GET", f"/api/v1/customers/{ids[0]}")
    assert {i["value"] for i in profile["identities"]} >= {"sam.two@example.com"}
    # a web chat under the absorbed address continues the one profile
    conv = api.start(email="sam.two@example.com", name="Sam")
    view = call(api, admin, "GET", f"/api/v1/conversations/{conv['id']}")
    assert view["customer"]["id"] == ids[0]


def test_bad_merges_are_refused_clearly(server: LiveServer, api: Api) -> None:
    token = supervisor(api)
    web, sms = webchat_and_sms(api, token)
    cases = [
        (f"/api/v1/customers/{web}/merge", {"customer_id": web}, 422),
        (f"/api/v1/customers/{web}/merge", {"customer_id": "no-such-customer"}, 404),
        (f"/api/v1/customers/{web}/merge", {}, 422),
        (f"/api/v1/customers/{web}/merge", {"proposal_id": "nope"}, 404),
        (f"/api/v1/customers/{web}/unmerge", {}, 409),
        (f"/api/v1/customers/{web}/identities", {"kind": "email", "value": "not an email"}, 422),
        (f"/api/v1/customers/{web}/identities", {"kind": "fax", "value": "1"}, 422),
    ]
    for path, body, status in cases:
        r = api.staff(token, "POST", path, json=body)
        assert r.status_code == status, (path, body, r.text)
        assert r.json()["detail"]
    agent = api.login("agent@example.com", "demo-agent")
    r = api.staff(agent, "POST", f"/api/v1/customers/{web}/merge", json={"customer_id": sms})
    assert r.status_code == 403
    r = api.staff(agent, "GET", "/api/v1/customers/merge-proposals")
    assert r.status_code == 403


def test_erasing_a_merged_customer_takes_their_identities_along(
    server: LiveServer, api: Api
) -> None:
    token = supervisor(api)
    web, sms = webchat_and_sms(api, token)
    call(
        api,
        token,
        "POST",
        f"/api/v1/customers/{web}/identities",
        json={"kind": "crm", "value": "hubspot:501", "verified": False},
    )
    call(api, token, "POST", f"/api/v1/customers/{web}/merge", json={"customer_id": sms})
    admin = api.login("admin@example.com", "demo-admin")
    exported = call(api, admin, "GET", f"/api/v1/customers/{web}/export")
    assert {i["value"] for i in exported["identities"]} == {"hubspot:501"}
    assert [m["status"] for m in exported["merges"]] == ["merged"]
    req = call(api, admin, "DELETE", f"/api/v1/customers/{web}", 202)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        state = call(api, admin, "GET", f"/api/v1/privacy/erasures/{req['id']}")
        if state["status"] != "pending":
            break
        time.sleep(0.1)
    assert state["status"] == "completed", state
    steps = {s["step"]: s["count"] for s in state["steps"]}
    assert steps["customer_identities"] == 1 and steps["customer_merges"] == 1
    assert api.staff(token, "GET", f"/api/v1/customers/{web}").status_code == 404
    assert api.staff(token, "GET", f"/api/v1/customers/{sms}").status_code == 404 or (
        call(api, token, "GET", f"/api/v1/customers/{sms}")["merged_into"] is None
    )


def test_a_signed_web_chat_merges_the_customer_staff_noted_the_address_for(
    server: LiveServer, api: Api
) -> None:
    token = supervisor(api)
    sms_replies(send_sms(api, PHONE, "Hi, I need help with an order"))
    [sms_conv] = conversations_of(api, "sms")
    sms = customer_of(api, token, sms_conv["id"])
    # the texter says their email; staff note it, unproven: nothing merges, nothing routes
    noted = call(
        api,
        token,
        "POST",
        f"/api/v1/customers/{sms}/identities",
        json={"kind": "email", "value": "riley@example.com"},
    )
    assert noted["merged"] == [] and noted["proposed"] == []
    # later they chat on the web with the address signed by the company's site
    email = "riley@example.com"
    digest = hmac.new(b"demo-widget-secret", email.encode(), hashlib.sha256).hexdigest()
    conv = api.start(email, "Riley", inbox="demo-webchat", identity_hash=digest)
    owner = customer_of(api, token, conv["id"])
    assert owner == sms  # the older record survives, with both channels
    profile = call(api, token, "GET", f"/api/v1/customers/{sms}")
    assert profile["channels"] == ["sms", "webchat"]
    assert profile["customer"]["email"] == email and profile["customer"]["phone"] == PHONE
    assert [m["reason"] for m in profile["merges"]] == ["verified_email"]
    # the customer's own conversation view still works with their token
    assert api.say(conv, "Thanks!").status_code in (200, 201)


def test_custom_field_values_move_on_a_merge_and_back_on_unmerge(
    server: LiveServer, api: Api
) -> None:
    token = supervisor(api)
    admin = api.login("admin@example.com", "demo-admin")
    for definition in (
        {"entity": "customer", "key": "plan", "type": "select", "options": ["free", "pro"]},
        {"entity": "customer", "key": "note", "type": "text"},
    ):
        call(api, admin, "POST", "/api/v1/custom-fields", 201, json=definition)
    web, sms = webchat_and_sms(api, token)

    def fields(customer_id: str) -> dict[str, Any]:
        page = call(api, token, "GET", f"/api/v1/customers/{customer_id}/fields")
        return {i["key"]: i["value"] for i in page["items"] if i["value"] is not None}

    call(
        api,
        token,
        "PATCH",
        f"/api/v1/customers/{sms}/fields",
        json={"values": {"plan": "pro", "note": "from sms"}},
    )
    call(
        api,
        token,
        "PATCH",
        f"/api/v1/customers/{web}/fields",
        json={"values": {"note": "from web"}},
    )
    call(api, token, "POST", f"/api/v1/customers/{web}/merge", json={"customer_id": sms})
    # the value the survivor lacked moved; where both had one, the survivor's stands
    assert fields(web) == {"plan": "pro", "note": "from web"}

    call(api, token, "POST", f"/api/v1/customers/{sms}/unmerge", json={})
    assert fields(sms) == {"plan": "pro", "note": "from sms"}
    assert fields(web) == {"note": "from web"}
