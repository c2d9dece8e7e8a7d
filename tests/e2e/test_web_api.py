"""The endpoints behind the web pages: survey, customer 360, dashboard, help search, pages."""

from __future__ import annotations

import re

import pytest

from hybridcx.demo.seed import DEMO_INBOX_SECRET
from hybridcx.kit.security import identity_hash
from tests.support import Api, recv_until

# Appointment slots, order dates and self-service bookings follow the calendar: .ci/run runs
# this module again at several test dates (tests/clock.py).
pytestmark = pytest.mark.calendar


def resolved_conversation(api: Api) -> tuple[dict, str]:
    conv = api.start("alex@example.com", "Alex")
    api.say(conv, "agent")
    token = api.login("agent@example.com", "demo-agent")
    assert api.staff(token, "POST", f"/api/v1/conversations/{conv['id']}/accept").is_success
    return conv, token


def survey(api: Api, conv: dict, token: str | None = None, **body: object) -> int:
    r = api.http.post(
        f"/api/v1/conversations/{conv['id']}/survey",
        json=body,
        headers={"Authorization": f"Bearer {token or conv['customer_token']}"},
    )
    return r.status_code


def test_survey_once_per_resolved_conversation_by_its_customer(api: Api) -> None:
    conv, staff = resolved_conversation(api)
    assert survey(api, conv, rating=5) == 409  # not resolved yet
    assert api.staff(staff, "POST", f"/api/v1/conversations/{conv['id']}/resolve").is_success
    other = api.start("jordan.reed@example.com", "Jordan")
    assert survey(api, conv, other["customer_token"], rating=5) == 403
    assert survey(api, conv, staff, rating=5) == 403
    assert survey(api, conv, rating=6) == 422
    assert survey(api, conv, rating=4, comment="Helpful") == 201
    assert survey(api, conv, rating=1) == 409
    events = api.staff(staff, "GET", f"/api/v1/conversations/{conv['id']}").json()["events"]
    answer = next(e for e in events if e["type"] == "survey.submitted")
    assert answer["data"]["rating"] == 4 and answer["data"]["comment"] == "Helpful"
    supervisor = api.login("supervisor@example.com", "demo-supervisor")
    dash = api.staff(supervisor, "GET", "/api/v1/dashboard").json()
    assert dash["csat"] == {"count": 1, "average": 4.0}


def test_customer_overview_for_staff_of_the_workspace(api: Api) -> None:
    conv, staff = resolved_conversation(api)
    customer_id = api.staff(staff, "GET", f"/api/v1/conversations/{conv['id']}").json()["customer"][
        "id"
    ]
    body = api.staff(staff, "GET", f"/api/v1/customers/{customer_id}/overview").json()
    assert body["customer"]["email"] == "alex@example.com"
    assert [o["number"] for o in body["orders"]] == ["1001"]
    assert [c["id"] for c in body["conversations"]] == [conv["id"]]
    assert api.staff(staff, "GET", "/api/v1/customers/nope/overview").status_code == 404
    r = api.http.get(
        f"/api/v1/customers/{customer_id}/overview",
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    )
    assert r.status_code == 401


def test_dashboard_numbers_for_supervisors_only(api: Api) -> None:
    contained = api.start("priya.patel@example.com", "Priya")
    api.say(contained, "What are your opening hours?")
    api.say(api.start("alex@example.com", "Alex"), "agent")
    agent = api.login("agent@example.com", "demo-agent")
    assert api.staff(agent, "GET", "/api/v1/dashboard").status_code == 403
    supervisor = api.login("supervisor@example.com", "demo-supervisor")
    dash = api.staff(supervisor, "GET", "/api/v1/dashboard").json()
    assert dash["started"] == 2 and dash["contained"] == 1 and dash["containment"] == 0.5
    assert dash["volume"]["by_channel"] == {"webchat": 2}
    assert dash["escalation_reasons"] == {"customer_request": 1}
    assert dash["queue"]["length"] == 1
    assert dash["agents"]["offline"] == 6


def help_search(api: Api, q: str) -> dict:
    r = api.http.get("/api/v1/help/articles", params={"q": q})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_help_search_is_hybrid_marked_and_public_only(api: Api) -> None:
    found = help_search(api, "REFUND")
    assert found["items"][0]["slug"] == "returns-policy"
    assert found["answer"]["answered"] is True
    assert found["answer"]["sources"] == [
        {"title": "Returns policy", "url": "/help/articles/returns-policy"}
    ]
    top = found["items"][0]
    assert "".join(s["text"] for s in top["segments"]) == top["text"]
    assert [s["text"] for s in top["segments"] if s["mark"]] == ["refund", "refunds"]

    # A paraphrase with no shared title word still finds the article, and marks what matched.
    paraphrase = help_search(api, "can I send back an item?")
    first = paraphrase["items"][0]
    assert first["slug"] == "returns-policy"
    assert {s["text"].lower() for s in first["segments"] if s["mark"]} == {"items", "item"}

    # The internal article is the best match for these words, and still never shows.
    for q in ("refund authority for agents supervisor approval", "Refund authority for agents"):
        body = help_search(api, q)
        assert all(i["slug"] != "agent-refund-authority" for i in body["items"])
        assert all("Agents may refund" not in i["text"] for i in body["items"])
        assert "Agents may refund" not in (body["answer"]["text"] or "")
    everything = help_search(api, "")
    assert everything["answer"] is None
    assert "agent-refund-authority" not in [a["slug"] for a in everything["items"]]
    assert "opening-hours" in [a["slug"] for a in everything["items"]]

    nothing = help_search(api, "100%_")
    assert nothing["items"] == [] and nothing["answer"]["answered"] is False
    markup = help_search(api, "<b>refund</b>")
    assert markup["items"][0]["slug"] == "returns-policy"

    article = api.http.get("/api/v1/help/articles/opening-hours").json()
    assert "Monday to Friday" in article["body"]
    assert api.http.get("/api/v1/help/articles/agent-refund-authority").status_code == 404
    assert api.http.get("/api/v1/help/articles", params={"inbox": "nope"}).status_code == 404
    assert api.http.get("/api/v1/help/articles", params={"q": "x" * 201}).status_code == 422


def test_pages_and_assets_are_served_with_a_strict_policy(api: Api) -> None:
    for path in ("/", "/chat", "/desk", "/supervisor", "/help", "/help/articles/opening-hours"):
        r = api.http.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in api.http.get("/desk").headers["content-security-policy"]
    home = api.http.get("/").text
    for link in ('href="/chat"', 'href="/help"', 'href="/desk"', 'href="/supervisor"'):
        assert link in home
    assert "agent@example.com" in home and "demo-supervisor" in home
    assert "frame-ancestors *" in api.http.get("/chat").headers["content-security-policy"]
    js = api.http.get("/widget.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert api.http.get("/web/static/chat.js").status_code == 200
    for bad in ("/web/static/../api.py", "/web/static/%2e%2e/api.py", "/web/static/nope.js"):
        assert api.http.get(bad).status_code == 404


def test_wait_estimate_from_recent_pickups(api: Api) -> None:
    conv, staff = resolved_conversation(api)  # one pickup: queued, then accepted
    waiting = api.start("jordan.reed@example.com", "Jordan")
    api.say(waiting, "agent")
    r = api.http.get(
        f"/api/v1/conversations/{waiting['id']}/wait",
        headers={"Authorization": f"Bearer {waiting['customer_token']}"},
    )
    body = r.json()
    assert body["queue_position"] == 1 and body["based_on"] == 1
    assert isinstance(body["expected_wait_seconds"], int)
    assert api.staff(staff, "GET", f"/api/v1/conversations/{waiting['id']}/wait").status_code == 403
    r = api.http.get(
        f"/api/v1/conversations/{waiting['id']}/wait",
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    )
    assert r.status_code == 403


def outbox_code(api: Api, email: str) -> str:
    supervisor = api.login("supervisor@example.com", "demo-supervisor")
    items = api.staff(supervisor, "GET", "/api/v1/demo/outbox", params={"to": email}).json()
    body = next(i["body"] for i in items["items"] if i["kind"] == "verification_code")
    return str(re.search(r"\b(\d{6})\b", body).group(1))  # type: ignore[union-attr]


def test_guided_booking_form_validates_and_reports_a_taken_slot(api: Api) -> None:
    slots = api.http.get("/api/v1/help/appointments/slots").json()["slots"]
    assert len(slots) == 6 and all(s["label"] and s["id"] for s in slots)
    first = slots[0]["id"]

    bad = api.http.post("/api/v1/help/appointments", json={"slot_id": first, "email": "nope"})
    assert bad.status_code == 422 and "email" in bad.json()["detail"]
    assert (
        api.http.post("/api/v1/help/appointments", json={"email": "a@example.com"}).status_code
        == 422
    )
    extra = {"slot_id": first, "email": "a@example.com", "admin": True}
    assert api.http.post("/api/v1/help/appointments", json=extra).status_code == 422

    r = api.http.post(
        "/api/v1/help/appointments",
        json={"slot_id": first, "email": "New.Person@example.com", "name": "New Person"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["appointment"]["id"] == first and r.json()["email"] == "new.person@example.com"
    assert first not in [
        s["id"] for s in api.http.get("/api/v1/help/appointments/slots").json()["slots"]
    ]

    again = api.http.post(
        "/api/v1/help/appointments", json={"slot_id": first, "email": "alex@example.com"}
    )
    assert again.status_code == 409 and again.json()["code"] == "slot_taken"
    assert "just taken" in again.json()["detail"]
    assert first not in [s["id"] for s in again.json()["slots"]] and again.json()["slots"]
    unknown = {"slot_id": "no-such-slot", "email": "alex@example.com"}
    assert api.http.post("/api/v1/help/appointments", json=unknown).status_code == 409


def test_change_or_cancel_an_appointment_after_a_one_time_code(api: Api) -> None:
    slots = api.http.get("/api/v1/help/appointments/slots").json()["slots"]
    booked = {"slot_id": slots[0]["id"], "email": "alex@example.com"}
    assert api.http.post("/api/v1/help/appointments", json=booked).status_code == 201

    assert api.http.get("/api/v1/help/appointments/mine").status_code == 401
    forged = {"Authorization": "Bearer eyJlIjoiYWxleEBleGFtcGxlLmNvbSJ9.abc"}
    assert api.http.get("/api/v1/help/appointments/mine", headers=forged).status_code == 401

    # The same answer for a customer and a stranger: no hint of who has an account.
    sent = api.http.post("/api/v1/help/verification", json={"email": "alex@example.com"})
    stranger = api.http.post("/api/v1/help/verification", json={"email": "who@example.com"})
    assert sent.status_code == stranger.status_code == 202
    assert sent.json()["detail"] == stranger.json()["detail"]
    assert sent.json()["sent_to"] == "a•••@example.com"

    check = "/api/v1/help/verification/check"
    assert (
        api.http.post(check, json={"email": "alex@example.com", "code": "12ab"}).status_code == 422
    )
    wrong = api.http.post(check, json={"email": "alex@example.com", "code": "000000"})
    code = outbox_code(api, "alex@example.com")
    if code != "000000":
        assert wrong.status_code == 422 and "not right" in wrong.json()["detail"]
    r = api.http.post(check, json={"email": "alex@example.com", "code": code})
    assert r.status_code == 200, r.text
    assert api.http.post(check, json={"email": "alex@example.com", "code": code}).status_code == 422
    auth = {"Authorization": f"Bearer {r.json()['session']}"}

    mine = api.http.get("/api/v1/help/appointments/mine", headers=auth).json()
    assert [a["id"] for a in mine["appointments"]] == [slots[0]["id"]]
    target = mine["slots"][0]["id"]
    moved = api.http.post(
        f"/api/v1/help/appointments/mine/{slots[0]['id']}/move",
        json={"slot_id": target},
        headers=auth,
    )
    assert moved.status_code == 200, moved.text
    mine = api.http.get("/api/v1/help/appointments/mine", headers=auth).json()
    assert [a["id"] for a in mine["appointments"]] == [target]

    # Somebody else's appointment is not reachable with this session.
    other = api.http.post(
        "/api/v1/help/appointments",
        json={"slot_id": slots[2]["id"], "email": "jordan.reed@example.com"},
    )
    assert other.status_code == 201
    assert (
        api.http.post(
            f"/api/v1/help/appointments/mine/{slots[2]['id']}/cancel", headers=auth
        ).status_code
        == 404
    )
    taken = api.http.post(
        f"/api/v1/help/appointments/mine/{target}/move",
        json={"slot_id": slots[2]["id"]},
        headers=auth,
    )
    assert taken.status_code == 409 and taken.json()["code"] == "slot_taken"

    assert api.http.post(f"/api/v1/help/appointments/mine/{target}/cancel", headers=auth).is_success
    assert api.http.get("/api/v1/help/appointments/mine", headers=auth).json()["appointments"] == []


def test_order_suggestion_only_for_a_verified_identity(api: Api) -> None:
    url = "/api/v1/help/suggestions"
    signed = {
        "email": "alex@example.com",
        "identity_hash": identity_hash(DEMO_INBOX_SECRET, "alex@example.com"),
    }
    body = api.http.post(url, json=signed).json()
    assert body == {
        "verified": True,
        "suggestions": [
            {
                "kind": "track_order",
                "order_number": "1001",
                "status": "shipped",
                "label": "Track your recent order #1001",
                "message": "Where is my order 1001?",
            }
        ],
    }
    forged = {**signed, "identity_hash": "0" * 64}
    assert api.http.post(url, json=forged).status_code == 401

    # A claimed email, with orders or without, gets the same nothing.
    claimed = api.http.post(url, json={"email": "alex@example.com"}).json()
    nobody = api.http.post(url, json={"email": "who@example.com"}).json()
    assert claimed == nobody == {"verified": False, "suggestions": []}
    chat = api.start("alex@example.com", "Alex")
    by_chat = {"conversation_id": chat["id"], "customer_token": chat["customer_token"]}
    assert api.http.post(url, json=by_chat).json() == claimed
    wrong_token = {**by_chat, "customer_token": "nope"}
    assert api.http.post(url, json=wrong_token).status_code == 401

    # A chat started with a signed identity, or a session earned by a one-time code, is verified.
    r = api.http.post(
        "/api/v1/conversations",
        json={
            "channel": "webchat",
            "customer": {"email": "alex@example.com", "name": "Alex"},
            "identity_hash": signed["identity_hash"],
        },
    )
    verified_chat = {
        "conversation_id": r.json()["id"],
        "customer_token": r.json()["customer_token"],
    }
    assert api.http.post(url, json=verified_chat).json()["suggestions"][0]["order_number"] == "1001"
    api.http.post("/api/v1/help/verification", json={"email": "alex@example.com"})
    code = outbox_code(api, "alex@example.com")
    session = api.http.post(
        "/api/v1/help/verification/check", json={"email": "alex@example.com", "code": code}
    ).json()["session"]
    assert api.http.post(url, json={"session": session}).json()["verified"] is True


def test_ask_a_teammate_for_help_live_as_an_internal_note(api: Api) -> None:
    conv, alice = resolved_conversation(api)  # assigned to Alice, not resolved
    sam = api.login("supervisor@example.com", "demo-supervisor")
    sam_id = api.staff(sam, "GET", "/api/v1/agents/me").json()["id"]
    team = api.staff(alice, "GET", "/api/v1/agents").json()["items"]
    assert {"skills", "online", "status", "load", "capacity"} <= set(team[0])
    ask = f"/api/v1/conversations/{conv['id']}/ask"

    ws = api.agent_ws(sam)
    try:
        r = api.staff(alice, "POST", ask, json={"to_agent_id": sam_id, "text": " Refund OK? "})
        assert r.status_code == 201, r.text
        event = recv_until(ws, lambda e: e["type"] == "collaboration.asked")
    finally:
        ws.close()
    assert event["to_agent_id"] == sam_id
    question = event["question"]
    assert question["text"] == "Refund OK?" and question["from_agent"]["name"] == "Alice Agent"
    assert (
        question["conversation_id"] == conv["id"] and question["customer"]["name"] == "Alex Morgan"
    )

    detail = api.staff(sam, "GET", f"/api/v1/conversations/{conv['id']}").json()
    note = next(m for m in detail["messages"] if m["id"] == question["message_id"])
    assert note["internal"] and note["agent_name"] == "Alice Agent"
    assert note["text"] == "Question for Sam Supervisor: Refund OK?"
    asked = next(e for e in detail["events"] if e["type"] == "collaboration.asked")
    assert asked["data"]["to_agent_id"] == sam_id
    # The customer never sees it.
    mine = api.http.get(
        f"/api/v1/conversations/{conv['id']}",
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    ).json()
    assert "Refund OK?" not in str(mine)

    waiting = api.staff(sam, "GET", "/api/v1/questions").json()["items"]
    assert [(q["text"], q["answered"]) for q in waiting] == [("Refund OK?", False)]
    assert api.staff(alice, "GET", "/api/v1/questions").json()["items"] == []
    answer = {"text": "Yes, go ahead.", "internal": True}
    assert api.staff(sam, "POST", f"/api/v1/conversations/{conv['id']}/replies", json=answer)
    assert api.staff(sam, "GET", "/api/v1/questions").json()["items"][0]["answered"] is True

    assert (
        api.staff(alice, "POST", ask, json={"to_agent_id": "nope", "text": "Hi"}).status_code == 404
    )
    assert (
        api.staff(alice, "POST", ask, json={"to_agent_id": sam_id, "text": "  "}).status_code == 422
    )
    assert api.staff(alice, "POST", ask, json={"to_agent_id": sam_id}).status_code == 422
    body = {"to_agent_id": sam_id, "text": "Hi"}
    assert api.staff(alice, "POST", "/api/v1/conversations/nope/ask", json=body).status_code == 404
    r = api.http.post(ask, json=body, headers={"Authorization": f"Bearer {conv['customer_token']}"})
    assert r.status_code in (401, 403)


def test_update_contact_details_after_a_one_time_code(api: Api) -> None:
    url = "/api/v1/help/contact"
    assert api.http.put(url, json={"phone": "+14155550132"}).status_code == 401
    api.http.post("/api/v1/help/verification", json={"email": "alex@example.com"})
    code = outbox_code(api, "alex@example.com")
    session = api.http.post(
        "/api/v1/help/verification/check", json={"email": "alex@example.com", "code": code}
    ).json()["session"]
    auth = {"Authorization": f"Bearer {session}"}
    assert api.http.get(url, headers=auth).json()["name"] == "Alex Morgan"

    for bad, says in (
        ("415 555 0132", "with its country code"),
        ("+1 555 0100", "not valid"),
        ("+hello", "not a phone number we can read"),
    ):
        r = api.http.put(url, json={"phone": bad}, headers=auth)
        assert r.status_code == 422 and says in r.json()["detail"], (bad, r.text)
    assert api.http.put(url, json={"name": "  "}, headers=auth).status_code == 422
    assert api.http.put(url, json={"vip": True}, headers=auth).status_code == 422

    r = api.http.put(url, json={"phone": "+1 (415) 555-0132", "name": "Alex M."}, headers=auth)
    assert r.status_code == 200, r.text
    assert r.json() == {"email": "alex@example.com", "name": "Alex M.", "phone": "+14155550132"}
    r = api.http.put(url, json={"phone": "020 7946 0958", "country": "gb"}, headers=auth)
    assert r.json()["phone"] == "+442079460958" and r.json()["name"] == "Alex M."

    staff = api.login("agent@example.com", "demo-agent")
    conv = api.start("alex@example.com", "Alex M.")
    customer = api.staff(staff, "GET", f"/api/v1/conversations/{conv['id']}").json()["customer"]
    assert customer["phone"] == "+442079460958"
