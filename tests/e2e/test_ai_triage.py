"""AI triage and Tier 1 flows through the HTTP API, with the real NLU model."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

import pytest

from tests.support import Api

# Appointment slots, order dates and self-service bookings follow the calendar: .ci/run runs
# this module again at several test dates (tests/clock.py).
pytestmark = pytest.mark.calendar

SECRET = "demo-widget-secret"


def verified(api: Api, email: str = "alex@example.com") -> dict[str, Any]:
    digest = hmac.new(SECRET.encode(), email.encode(), hashlib.sha256).hexdigest()
    return api.start(email, "Alex", inbox="demo-webchat", identity_hash=digest)


def turn(api: Api, conv: dict[str, Any], text: str) -> dict[str, Any]:
    r = api.say(conv, text)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def ai_text(body: dict[str, Any]) -> str:
    return "\n".join(m["text"] for m in body["messages"] if m["author"] == "ai")


def test_opening_hours_are_answered_by_the_ai(api: Api) -> None:
    body = turn(api, api.start(), "What are your opening hours?")
    state = body["conversation"]
    assert state["status"] == "bot" and state["tier"] == 1
    assert state["routing"]["intent"] == "opening_hours"
    assert state["routing"]["confidence"] >= 0.7
    assert state["routing"]["reasons"] == []
    assert "Monday to Friday" in ai_text(body) and "Source: Opening hours" in ai_text(body)


def test_order_tracking_asks_for_the_number_then_reports_the_status(api: Api) -> None:
    conv = api.start()
    first = turn(api, conv, "Where is my order?")
    assert first["conversation"]["routing"]["intent"] == "order_status"
    assert "order number" in ai_text(first)
    done = turn(api, conv, "It's 1001")
    text = ai_text(done)
    assert "Order 1001 is shipped with UPS" in text and "Expected delivery" in text
    assert done["conversation"]["status"] == "bot"


def test_verified_customer_gets_the_order_status_at_once(api: Api) -> None:
    body = turn(api, verified(api), "Where is my order?")
    assert "Order 1001 is shipped" in ai_text(body)


def test_someone_elses_order_number_is_refused(api: Api) -> None:
    conv = api.start()
    turn(api, conv, "Where is my order?")
    body = turn(api, conv, "1002")  # the VIP customer's order
    assert "couldn't find order 1002 for alex@example.com" in ai_text(body)
    assert "processing" not in ai_text(body)


def test_gibberish_escalates_with_low_confidence(api: Api) -> None:
    body = turn(api, api.start(), "asdkj qwpoe zzzx blorf")
    state = body["conversation"]
    assert state["status"] == "queued" and "low_confidence" in state["routing"]["reasons"]


def test_an_angry_message_escalates_with_negative_sentiment(api: Api) -> None:
    body = turn(
        api, api.start(), "This is absolutely ridiculous!!! Your service is useless and I'm furious"
    )
    state = body["conversation"]
    assert state["status"] == "queued" and "negative_sentiment" in state["routing"]["reasons"]
    assert state["routing"]["sentiment"] < 0


def test_legal_threat_goes_to_tier_3(api: Api) -> None:
    body = turn(api, api.start(), "I will take legal action")
    state = body["conversation"]
    assert state["tier"] == 3 and "legal_compliance" in state["routing"]["reasons"]
    token = api.login("supervisor@example.com", "demo-supervisor")
    [item] = api.staff(token, "GET", "/api/v1/queue").json()["items"]
    assert item["required_skill"] == "premium"


def test_password_reset_confirms_then_sends_a_link(api: Api) -> None:
    conv = api.start()
    body = turn(api, conv, "I forgot my password")
    assert body["conversation"]["routing"]["intent"] == "password_reset"
    assert body["messages"][-1]["buttons"] == ["Yes", "No"]
    assert "a•••@example.com" in ai_text(body)
    done = turn(api, conv, "yes")
    assert "reset link is on its way" in ai_text(done)
    admin = api.login("admin@example.com", "demo-admin")
    outbox = api.staff(
        admin, "GET", "/api/v1/demo/outbox", params={"to": "alex@example.com"}
    ).json()["items"]
    assert outbox[0]["kind"] == "password_reset"
    # The AI never asks for a password.
    for message in body["messages"] + done["messages"]:
        assert "your password?" not in message["text"].lower()


def test_account_status_after_a_one_time_code(api: Api) -> None:
    conv = api.start()
    body = turn(api, conv, "What's the status of my account?")
    assert body["conversation"]["routing"]["intent"] == "account_status"
    assert "6-digit code" in ai_text(body)
    admin = api.login("admin@example.com", "demo-admin")
    [mail] = api.staff(
        admin, "GET", "/api/v1/demo/outbox", params={"to": "alex@example.com"}
    ).json()["items"]
    code = re.search(r"\d{6}", mail["body"]).group(0)  # type: ignore[union-attr]
    wrong = turn(api, conv, "000000" if code != "000000" else "111111")
    assert "doesn't match" in ai_text(wrong)
    done = turn(api, conv, code)
    assert "AC-1001 is active" in ai_text(done)


def test_booking_an_appointment(api: Api) -> None:
    conv = api.start()
    body = turn(api, conv, "I'd like to book an appointment")
    offer = body["messages"][-1]
    assert body["conversation"]["routing"]["intent"] == "book_appointment"
    assert len(offer["buttons"]) >= 2
    body = turn(api, conv, offer["buttons"][1])
    assert body["messages"][-1]["buttons"] == ["Yes", "No"]
    body = turn(api, conv, "yes")
    assert "You're booked for" in ai_text(body)


def test_slot_taken_by_someone_else_is_offered_again(api: Api) -> None:
    alex, jordan = api.start(), api.start("jordan.reed@example.com", "Jordan")
    offer = turn(api, alex, "I'd like to book an appointment")["messages"][-1]
    turn(api, jordan, "I'd like to book an appointment")
    turn(api, jordan, "1")
    assert "You're booked" in ai_text(turn(api, jordan, "yes"))
    turn(api, alex, "1")
    body = turn(api, alex, "yes")
    assert "just taken" in ai_text(body)
    assert (
        body["messages"][-1]["buttons"]
        and body["messages"][-1]["buttons"][0] != offer["buttons"][0]
    )


def test_digression_then_back_to_the_flow(api: Api) -> None:
    conv = api.start()
    turn(api, conv, "I'd like to book an appointment")
    side = turn(api, conv, "What are your opening hours?")
    text = ai_text(side)
    assert "Monday to Friday" in text and "back to where we were" in text
    assert side["conversation"]["status"] == "bot"
    turn(api, conv, "2")
    assert "You're booked" in ai_text(turn(api, conv, "yes"))


def test_cancel_a_flow(api: Api) -> None:
    conv = api.start()
    turn(api, conv, "I'd like to book an appointment")
    body = turn(api, conv, "never mind")
    assert "stopped" in ai_text(body) and body["conversation"]["status"] == "bot"


def test_speak_to_a_person_mid_flow(api: Api) -> None:
    conv = api.start()
    turn(api, conv, "Where is my order?")
    body = turn(api, conv, "speak to a person")
    state = body["conversation"]
    assert state["status"] == "queued" and state["routing"]["reasons"][0] == "customer_request"
    token = api.login("agent@example.com", "demo-agent")
    [item] = api.staff(token, "GET", "/api/v1/queue").json()["items"]
    assert "Where is my order?" in [line["text"] for line in item["handoff"]["transcript"]]


def test_repeated_failure_escalates(api: Api) -> None:
    conv = api.start()
    turn(api, conv, "Where is my order?")
    first = turn(api, conv, "the blue one")
    assert first["conversation"]["status"] == "bot"
    second = turn(api, conv, "the red one")
    assert second["conversation"]["status"] == "queued"
    assert "repeated_failure" in second["conversation"]["routing"]["reasons"]


def test_routing_decision_event_explains_itself(api: Api) -> None:
    conv = api.start()
    turn(api, conv, "asdkj qwpoe zzzx blorf")
    token = api.login("agent@example.com", "demo-agent")
    events = api.staff(token, "GET", f"/api/v1/conversations/{conv['id']}").json()["events"]
    decided = [e for e in events if e["type"] == "routing.decided"][-1]["data"]
    assert decided["reasons"] == ["low_confidence"]
    assert decided["scores"]["confidence_threshold"] == 0.7
    assert decided["scores"]["intent_confidence"] < 0.7


def test_two_requests_in_one_message_are_complex(api: Api) -> None:
    text = "Where is my order and also can I change my delivery address to my office please"
    state = turn(api, api.start(), text)["conversation"]
    assert state["status"] == "queued" and "complex" in state["routing"]["reasons"]
    assert state["tier"] == 2
    token = api.login("supervisor@example.com", "demo-supervisor")
    events = api.staff(token, "GET", f"/api/v1/conversations/{state['id']}").json()["events"]
    decided = [e for e in events if e["type"] == "routing.decided"][-1]["data"]
    assert decided["scores"]["complexity"] >= decided["thresholds"]["complexity"]


def test_complex_contact_from_a_high_value_customer_goes_to_tier_3(api: Api) -> None:
    admin = api.login("admin@example.com", "demo-admin")
    api.staff(
        admin,
        "POST",
        "/api/v1/customers",
        json={"email": "big@example.com", "lifetime_value": 50000},
    )
    text = "Where is my order and also can I change my delivery address to my office please"
    state = turn(api, api.start("big@example.com", "Big"), text)["conversation"]
    assert state["tier"] == 3 and {"complex", "high_value"} <= set(state["routing"]["reasons"])


def test_topics_the_ai_does_not_automate_go_to_a_person(api: Api) -> None:
    state = turn(api, api.start(), "I need my order sent to a different address")["conversation"]
    assert state["status"] == "queued" and state["routing"]["reasons"] == ["human_intent"]
    assert state["routing"]["intent"] == "change_delivery_address"


def test_reschedule_and_cancel_an_appointment(api: Api) -> None:
    conv = api.start("jordan.reed@example.com", "Jordan")  # has a booked appointment in the demo
    body = turn(api, conv, "I need to move my appointment to another day")
    assert body["conversation"]["routing"]["intent"] == "reschedule_appointment"
    offer = body["messages"][-1]
    assert "Your appointment is on" in offer["text"] and offer["buttons"]
    turn(api, conv, "1")
    moved = turn(api, conv, "yes")
    assert "appointment moved to" in ai_text(moved)
    body = turn(api, conv, "Please cancel my appointment")
    assert body["messages"][-1]["buttons"] == ["Yes", "No"]
    assert "is cancelled" in ai_text(turn(api, conv, "yes"))
    body = turn(api, conv, "Please cancel my appointment")
    assert "can't find an upcoming appointment" in ai_text(body)


def test_an_order_number_in_the_first_message_is_used(api: Api) -> None:
    body = turn(api, api.start(), "Where is my order 1001?")
    assert "Order 1001 is shipped" in ai_text(body)


def test_asking_for_a_person_in_other_words_works_in_one_step(api: Api) -> None:
    body = turn(api, api.start(), "Can I get someone from your team to help me?")
    state = body["conversation"]
    assert state["status"] == "queued" and state["routing"]["reasons"] == ["customer_request"]


def test_gift_card_questions_are_answered_from_knowledge(api: Api) -> None:
    body = turn(api, api.start(), "Do your gift cards expire?")
    assert body["conversation"]["status"] == "bot"
    assert "never expire" in ai_text(body) and "Gift cards" in ai_text(body)


def test_a_repeat_contact_weighs_on_every_turn_of_the_conversation(api: Api) -> None:
    """Two other conversations in the last 7 days make the contact more complex (+0.3); the
    count is taken once, at the conversation's first turn, and holds for its later turns."""
    token = api.login("supervisor@example.com", "demo-supervisor")

    def complexities(conv: dict[str, Any]) -> list[float]:
        events = api.staff(token, "GET", f"/api/v1/conversations/{conv['id']}").json()["events"]
        decided = [e["data"] for e in events if e["type"] == "routing.decided"]
        return [d["scores"]["complexity"] for d in decided if "complexity" in d["scores"]]

    newcomer = api.start("first-contact@example.com", "Sam")
    turn(api, newcomer, "What are your opening hours?")
    base = complexities(newcomer)[-1]

    api.start("repeat-contact@example.com", "Robin")
    api.start("repeat-contact@example.com", "Robin")
    repeat = api.start("repeat-contact@example.com", "Robin")
    turn(api, repeat, "What are your opening hours?")
    assert complexities(repeat)[-1] - base == pytest.approx(0.3, abs=0.001)

    api.start("second-contact@example.com", "Kim")
    second = api.start("second-contact@example.com", "Kim")  # one other: not yet a repeat
    turn(api, second, "What are your opening hours?")
    api.start("second-contact@example.com", "Kim")  # started later: not before this one
    turn(api, second, "What are your opening hours?")
    assert complexities(second) == [base, base]
