"""Several requests in one message, through the HTTP API with the real models: a two-word second
request is served, a part the AI cannot read is named to the customer (never dropped silently),
and a flow that gives up after a bare-number answer hands over as ``flow_failed``."""

from __future__ import annotations

from typing import Any

from tests.support import Api


def turn(api: Api, conv: dict[str, Any], text: str) -> dict[str, Any]:
    r = api.say(conv, text)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def ai_text(body: dict[str, Any]) -> str:
    return "\n".join(m["text"] for m in body["messages"] if m["author"] == "ai")


def test_a_two_word_second_request_is_served_after_the_first(api: Api) -> None:
    conv = api.start()
    first = turn(api, conv, "where is my order and reset password")
    assert first["conversation"]["status"] == "bot", first["conversation"]
    assert first["conversation"]["routing"]["intent"] == "order_status"
    assert "order number" in ai_text(first)
    done = turn(api, conv, "1001")
    text = ai_text(done)
    assert "Order 1001 is shipped" in text
    assert "Now, your other request." in text
    assert "password reset link" in text  # the second request, not lost
    assert done["conversation"]["status"] == "bot"


def test_a_part_the_ai_cannot_read_is_named_to_the_customer(api: Api) -> None:
    conv = api.start()
    body = turn(api, conv, "Where is my order? Also the purple elephant sings loudly")
    text = ai_text(body)
    assert body["conversation"]["status"] == "bot", body["conversation"]
    assert "\u201cthe purple elephant sings loudly\u201d" in text
    assert "order number" in text  # the part it could read is served
    done = turn(api, conv, "1001")
    assert "Order 1001 is shipped" in ai_text(done)


def test_a_flow_that_fails_on_bare_numbers_hands_over_as_flow_failed(api: Api) -> None:
    conv = api.start()
    first = turn(api, conv, "where is my order?")
    assert "order number" in ai_text(first)
    body = first
    for _ in range(3):  # the order flow gives up after three numbers it cannot find
        body = turn(api, conv, "9999")
        if body["conversation"]["status"] != "bot":
            break
    state = body["conversation"]
    assert state["status"] == "queued", state
    assert "flow_failed" in state["routing"]["reasons"]
    assert "low_confidence" not in state["routing"]["reasons"]
    token = api.login("supervisor@example.com", "demo-supervisor")
    r = api.staff(token, "GET", f"/api/v1/conversations/{state['id']}")
    assert r.status_code == 200, r.text
    assert "flow_failed" in r.json()["handoff"]["reasons"]
