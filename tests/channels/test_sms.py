"""SMS over Twilio end to end: signed webhooks over real HTTP, TwiML answers, carrier keywords,
numbered options, splitting, and agent replies through a fake Twilio REST API."""

from __future__ import annotations

import pytest

from hybridcx.channels.twilio.sms import segments, split_sms
from tests.channels.twilio_helpers import (
    OUR_NUMBER,
    conversations_of,
    send_sms,
    sms_params,
    sms_replies,
    staff_get,
    twilio_post,
)
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, BLOCKED_NUMBER, FakeTwilio
from tests.support import Api, LiveServer

CUSTOMER = "+14155550142"


def test_ai_answers_a_text_with_twiml(server: LiveServer, api: Api) -> None:
    replies = sms_replies(send_sms(api, CUSTOMER, "What are your opening hours?"))
    assert "AI assistant" in replies[0]  # the disclosure comes first
    assert any("Monday to Friday" in r for r in replies)
    # the cited article is a link the phone can open
    assert any(f"({api.base_url}/help/articles/opening-hours)" in r for r in replies), replies
    [conv] = conversations_of(api, "sms")
    view = staff_get(api, f"/api/v1/conversations/{conv['id']}")
    assert view["customer"]["phone"] == CUSTOMER
    [msg] = [m for m in view["messages"] if m["author"] == "customer"]
    assert msg["channel_meta"]["from"] == CUSTOMER and msg["channel_meta"]["to"] == OUR_NUMBER


@pytest.mark.parametrize("case", ["missing", "wrong_token", "tampered", "wrong_url"])
def test_bad_signature_is_403_and_nothing_is_stored(
    server: LiveServer, api: Api, case: str
) -> None:
    params = sms_params(CUSTOMER, "Where is my order?")
    path = "/channels/sms/twilio"
    if case == "missing":
        r = twilio_post(api, path, params, sign=False)
    elif case == "wrong_token":
        r = twilio_post(api, path, params, token="not-the-token")
    elif case == "wrong_url":
        r = twilio_post(api, path, params, signed_url="https://evil.example/channels/sms/twilio")
    else:
        from tests.channels.twilio_helpers import signature

        sig = signature(api.base_url + path, params)
        r = api.http.post(
            path, data={**params, "Body": "refund me"}, headers={"X-Twilio-Signature": sig}
        )
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "forbidden"
    assert conversations_of(api, "sms") == []


def test_signature_over_the_public_url_behind_a_proxy(server: LiveServer, api: Api) -> None:
    params = sms_params(CUSTOMER, "hello")
    r = twilio_post(
        api,
        "/channels/sms/twilio?inbox=demo-sms",
        params,
        signed_url="https://cx.example.com/channels/sms/twilio?inbox=demo-sms",
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "cx.example.com"},
    )
    assert r.status_code == 200, r.text
    # the same request without the proxy headers was signed for another URL
    again = twilio_post(
        api,
        "/channels/sms/twilio?inbox=demo-sms",
        sms_params(CUSTOMER, "hello"),
        signed_url="https://cx.example.com/channels/sms/twilio?inbox=demo-sms",
    )
    assert again.status_code == 403


def test_duplicate_message_sid_is_processed_once(server: LiveServer, api: Api) -> None:
    first = send_sms(api, CUSTOMER, "What are your opening hours?", sid="SM" + "a" * 32)
    assert sms_replies(first)
    second = send_sms(api, CUSTOMER, "What are your opening hours?", sid="SM" + "a" * 32)
    assert sms_replies(second) == []
    [conv] = conversations_of(api, "sms")
    view = staff_get(api, f"/api/v1/conversations/{conv['id']}")
    assert [m["text"] for m in view["messages"] if m["author"] == "customer"] == [
        "What are your opening hours?"
    ]


def test_stop_start_help(server: LiveServer, api: Api, twilio_server: FakeTwilio) -> None:
    assert "HELP" not in sms_replies(send_sms(api, CUSTOMER, "hi"))[0]
    help_text = sms_replies(send_sms(api, CUSTOMER, "help"))
    assert len(help_text) == 1 and "STOP" in help_text[0]
    stop = sms_replies(send_sms(api, CUSTOMER, "STOP"))
    assert len(stop) == 1 and "unsubscribed" in stop[0]
    assert sms_replies(send_sms(api, CUSTOMER, "stop")) == []  # confirmed once
    # while opted out: stored for the team, nothing sent back
    assert sms_replies(send_sms(api, CUSTOMER, "What are your opening hours?")) == []
    [conv] = conversations_of(api, "sms")
    view = staff_get(api, f"/api/v1/conversations/{conv['id']}")
    quiet = [m for m in view["messages"] if m["text"] == "What are your opening hours?"]
    assert quiet and quiet[0]["channel_meta"]["opted_out"] is True
    assert all("Monday to Friday" not in m["text"] for m in view["messages"])
    # an agent's reply is not sent either, and the message records why
    twilio_server.state.clear()
    token = api.login("supervisor@example.com", "demo-supervisor")
    assert (
        api.staff(token, "POST", f"/api/v1/conversations/{conv['id']}/takeover").status_code == 200
    )
    r = api.staff(
        token, "POST", f"/api/v1/conversations/{conv['id']}/replies", json={"text": "Hello?"}
    )
    assert r.status_code == 200 and r.json()["channel_meta"]["delivery"]["status"] == "failed"
    assert "STOP" in r.json()["channel_meta"]["delivery"]["error"]
    assert twilio_server.state.messages() == []
    start = sms_replies(send_sms(api, CUSTOMER, "START"))
    assert len(start) == 1 and "resubscribed" in start[0]
    r = api.staff(
        token, "POST", f"/api/v1/conversations/{conv['id']}/replies", json={"text": "Welcome back"}
    )
    assert r.json()["channel_meta"]["delivery"]["status"] == "sent"


def test_quick_replies_become_numbered_options_and_a_number_picks_one(
    server: LiveServer, api: Api
) -> None:
    alex = "+12025550100"  # alex@example.com's phone in the demo data
    replies = sms_replies(send_sms(api, alex, "I forgot my password"))
    offer = replies[-1]
    assert "1) Yes" in offer and "2) No" in offer and "Reply with a number" in offer
    answer = sms_replies(send_sms(api, alex, "2"))
    assert any("won't send anything" in r for r in answer), answer
    [conv] = conversations_of(api, "sms")
    view = staff_get(api, f"/api/v1/conversations/{conv['id']}")
    picked = [m for m in view["messages"] if m["author"] == "customer"][-1]
    assert picked["text"] == "No" and picked["channel_meta"]["typed"] == "2"
    assert view["customer"]["email"] == "alex@example.com"  # the same customer record


def test_long_replies_are_split_at_sentences() -> None:
    sentence = "Our stores are open Monday to Friday 9:00-19:00 and on Saturday 10:00-18:00. "
    parts = split_sms(sentence * 12)
    assert len(parts) > 1
    assert all(segments(p) <= 3 for p in parts)
    assert all(p.endswith(".") for p in parts)  # cut at sentence ends
    assert " ".join(parts) == (sentence * 12).strip()
    unicode = "Danke für Ihre Nachricht 😊. " * 20  # UCS-2: 67 units a segment
    assert all(segments(p) <= 3 for p in split_sms(unicode))
    assert split_sms("x" * 1000)[0] == "x" * 459  # a single giant word is cut hard
    assert split_sms("short") == ["short"]


def test_agent_reply_goes_out_through_twilio_rest(
    server: LiveServer, api: Api, twilio_server: FakeTwilio
) -> None:
    sms_replies(send_sms(api, CUSTOMER, "agent"))
    [conv] = conversations_of(api, "sms")
    assert conv["status"] == "queued"
    token = api.login("agent@example.com", "demo-agent")
    twilio_server.state.clear()
    assert api.staff(token, "POST", f"/api/v1/conversations/{conv['id']}/accept").status_code == 200
    # the customer learns that a person joined
    assert [m["Body"] for m in twilio_server.state.messages()] == [
        "Alice Agent has joined the conversation."
    ]
    twilio_server.state.clear()
    r = api.staff(
        token,
        "POST",
        f"/api/v1/conversations/{conv['id']}/replies",
        json={"text": "Hi, this is Alice. How can I help?"},
    )
    assert r.status_code == 200, r.text
    delivery = r.json()["channel_meta"]["delivery"]
    assert delivery["status"] == "sent" and delivery["message_sids"][0].startswith("SM")
    [sent] = [s for s in twilio_server.state.requests if s.path.endswith("/Messages.json")]
    assert sent.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert sent.auth == (ACCOUNT_SID, AUTH_TOKEN)
    assert sent.form == {
        "To": CUSTOMER,
        "From": OUR_NUMBER,
        "Body": "Hi, this is Alice. How can I help?",
    }
    # internal notes never go out
    twilio_server.state.clear()
    note = api.staff(
        token,
        "POST",
        f"/api/v1/conversations/{conv['id']}/replies",
        json={"text": "checking the order", "internal": True},
    )
    assert note.status_code == 200 and twilio_server.state.messages() == []
    # the stored message shows the delivery to staff
    view = staff_get(api, f"/api/v1/conversations/{conv['id']}")
    mine = [m for m in view["messages"] if m["text"].startswith("Hi, this is Alice")]
    assert mine[0]["channel_meta"]["delivery"]["status"] == "sent"


def test_a_provider_error_is_recorded_and_the_reply_kept(
    server: LiveServer, api: Api, twilio_server: FakeTwilio
) -> None:
    sms_replies(send_sms(api, BLOCKED_NUMBER, "agent"))
    [conv] = conversations_of(api, "sms")
    token = api.login("agent@example.com", "demo-agent")
    api.staff(token, "POST", f"/api/v1/conversations/{conv['id']}/accept")
    r = api.staff(
        token, "POST", f"/api/v1/conversations/{conv['id']}/replies", json={"text": "Hello"}
    )
    assert r.status_code == 200
    delivery = r.json()["channel_meta"]["delivery"]
    assert delivery["status"] == "failed" and "unsubscribed recipient" in delivery["error"]
    view = staff_get(api, f"/api/v1/conversations/{conv['id']}")
    assert any(m["text"] == "Hello" for m in view["messages"])
    assert any(e["type"] == "message.delivery_failed" for e in view["events"])


def test_a_webhook_without_a_sender_is_a_clear_4xx(server: LiveServer, api: Api) -> None:
    params = sms_params("", "hello")
    r = twilio_post(api, "/channels/sms/twilio", params)
    assert r.status_code == 422 and "From" in r.json()["detail"]


def test_an_assist_action_that_tells_the_customer_goes_out_by_sms(
    server: LiveServer, api: Api, twilio_server: FakeTwilio
) -> None:
    alex = "+12025550100"
    sms_replies(send_sms(api, alex, "agent"))
    [conv] = conversations_of(api, "sms")
    token = api.login("agent@example.com", "demo-agent")
    api.staff(token, "POST", f"/api/v1/conversations/{conv['id']}/accept")
    twilio_server.state.clear()
    r = api.staff(
        token,
        "POST",
        f"/api/v1/conversations/{conv['id']}/assist/actions",
        json={"action": "send_password_reset"},
    )
    assert r.status_code == 200, r.text
    [sent] = twilio_server.state.messages()
    assert sent["To"] == alex and "password reset link" in sent["Body"]


def test_auto_assignment_tells_the_texter_who_joined(
    server: LiveServer, api: Api, twilio_server: FakeTwilio
) -> None:
    token = api.login("agent@example.com", "demo-agent")
    desk = api.agent_ws(token)  # online (presence) ...
    try:
        r = api.staff(token, "PUT", "/api/v1/agents/me/status", json={"status": "available"})
        assert r.status_code == 200, r.text
        twilio_server.state.clear()
        replies = sms_replies(send_sms(api, CUSTOMER, "agent"))
        assert any("connecting you" in r for r in replies)
        [conv] = conversations_of(api, "sms")
        assert conv["status"] == "assigned"
        assert [m["Body"] for m in twilio_server.state.messages()] == [
            "Alice Agent has joined the conversation."
        ]
    finally:
        desk.close()


def test_a_picture_is_kept_and_a_text_after_resolve_starts_a_new_conversation(
    server: LiveServer, api: Api
) -> None:
    params = sms_params(
        CUSTOMER,
        "",
        NumMedia="1",
        MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
        MediaContentType0="image/jpeg",
    )
    assert sms_replies(twilio_post(api, "/channels/sms/twilio", params))
    [conv] = conversations_of(api, "sms")
    view = staff_get(api, f"/api/v1/conversations/{conv['id']}")
    [pic] = [m for m in view["messages"] if m["author"] == "customer"]
    assert pic["text"] == "[picture or file]"
    assert pic["channel_meta"]["media"] == [params["MediaUrl0"]]
    token = api.login("supervisor@example.com", "demo-supervisor")
    assert (
        api.staff(token, "POST", f"/api/v1/conversations/{conv['id']}/takeover").status_code == 200
    )
    assert (
        api.staff(token, "POST", f"/api/v1/conversations/{conv['id']}/resolve").status_code == 200
    )
    sms_replies(send_sms(api, CUSTOMER, "hello again"))
    convs = conversations_of(api, "sms")
    assert len(convs) == 2 and {c["status"] for c in convs} == {"resolved", "bot"}
    assert len({c["customer"]["id"] for c in convs}) == 1
