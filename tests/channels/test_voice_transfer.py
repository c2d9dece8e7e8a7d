"""The warm transfer reaches a person: accepting a queued call rings the agent through Twilio's
Calls API (the fake Twilio records the REST request), the agent's leg whispers the handoff
summary to them alone and bridges them to the caller's queue (<Dial><Queue>), a leg nobody
answers puts the conversation back in the queue (audited), hybridcx's own TwiML starts live
transcription, and keypad input is accepted with card numbers never stored or echoed.
Twilio's part is played by the test: webhooks signed with the SDK's RequestValidator, TwiML
parsed as XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.channels.test_voice import (
    BASE,
    call_conversation,
    call_params,
    incoming,
    new_sid,
    said,
    say,
)
from tests.channels.twilio_helpers import OUR_NUMBER, staff_get, twilio_post, twiml
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from tests.support import Api, LiveServer

ALICE_PHONE = "+14155550199"
CARD = "4111111111111111"  # Luhn-valid test card
ALEX = "+12025550100"  # the phone on alex@example.com's record (orders 1001, …)


def escalate(api: Api) -> tuple[str, ET.Element]:
    """A caller asks for a person: (call sid, the TwiML that put them on hold)."""
    sid = new_sid()
    incoming(api, sid)
    say(api, sid, "My order arrived damaged and I need help")
    return sid, say(api, sid, "agent")


def alice(api: Api, phone: str | None = ALICE_PHONE) -> str:
    token = api.login("agent@example.com", "demo-agent")
    r = api.staff(token, "PUT", "/api/v1/agents/me/phone", json={"phone": phone})
    assert r.status_code == 200, r.text
    assert r.json()["phone"] == phone
    return token


def accept(api: Api, token: str, conv_id: str) -> None:
    r = api.staff(token, "POST", f"/api/v1/conversations/{conv_id}/accept")
    assert r.status_code == 200, r.text


def as_twilio(api: Api, url: str, params: dict[str, str]) -> Any:
    """Twilio requesting one of the URLs hybridcx gave it (absolute, signed over it whole)."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == api.base_url
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return twilio_post(api, path, params, signed_url=url)


def leg_params(leg_sid: str, status: str) -> dict[str, str]:
    return {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": leg_sid,
        "CallStatus": status,
        "Called": ALICE_PHONE,
        "Caller": OUR_NUMBER,
        "Direction": "outbound-api",
        "From": OUR_NUMBER,
        "To": ALICE_PHONE,
    }


def test_the_transfer_starts_live_transcription_and_waits_in_the_calls_own_queue(
    server: LiveServer, api: Api
) -> None:
    sid, root = escalate(api)
    start = root.find("Start")
    assert start is not None and [child.tag for child in root][0] == "Start"
    transcription = start.find("Transcription")
    assert transcription is not None
    assert transcription.get("statusCallbackUrl") == f"{api.base_url}{BASE}/transcript"
    assert transcription.get("track") == "inbound_track"
    enqueue = root.find("Enqueue")
    assert enqueue is not None and enqueue.text == f"hybridcx-default-{sid}"
    # the caller hears the hold message, never the notes meant for the agent
    view = call_conversation(api)
    assert view["handoff"]["summary"] not in " ".join(said(root))


def test_accepting_a_call_rings_the_agent_whispers_and_bridges(
    server: LiveServer, api: Api, twilio_server: FakeTwilio
) -> None:
    sid, _ = escalate(api)
    conv = call_conversation(api)
    token = alice(api)
    twilio_server.state.clear()
    accept(api, token, conv["id"])

    [create] = twilio_server.state.calls()
    assert create.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"
    assert create.auth == (ACCOUNT_SID, AUTH_TOKEN)
    form = create.form
    assert form["To"] == ALICE_PHONE and form["From"] == OUR_NUMBER
    assert form["Method"] == "POST" and form["StatusCallbackMethod"] == "POST"
    assert create.multi["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    assert int(form["Timeout"]) > 0
    agent_id = parse_qs(urlsplit(form["Url"]).query)["agent"][0]
    assert urlsplit(form["Url"]).path == f"{BASE}/agent"
    assert urlsplit(form["StatusCallback"]).path == f"{BASE}/agent-status"

    view = staff_get(api, f"/api/v1/conversations/{conv['id']}")
    leg = view["channel_meta"]["agent_leg"]
    assert leg["agent_id"] == agent_id and leg["call_sid"].startswith("CA")
    assert any(e["type"] == "call.agent_ringing" for e in view["events"])

    # Alice picks up: Twilio fetches the leg's TwiML
    root = twiml(as_twilio(api, form["Url"], leg_params(leg["call_sid"], "in-progress")))
    assert [child.tag for child in root] == ["Say", "Dial", "Hangup"]
    whisper = said(root)[0]
    assert whisper.startswith("Call from a caller. ")  # a number we have no name for
    assert view["handoff"]["summary"] in whisper
    dial = root.find("Dial")
    assert dial is not None
    queue = dial.find("Queue")
    assert queue is not None and queue.text == f"hybridcx-default-{sid}"

    r = as_twilio(api, form["StatusCallback"], leg_params(leg["call_sid"], "in-progress"))
    assert r.status_code == 204
    view = staff_get(api, f"/api/v1/conversations/{conv['id']}")
    assert view["status"] == "assigned"
    assert view["channel_meta"]["agent_leg"]["status"] == "in-progress"
    assert any(e["type"] == "call.agent_connected" for e in view["events"])


def test_an_unanswered_agent_leg_puts_the_call_back_in_the_queue(
    server: LiveServer, api: Api, twilio_server: FakeTwilio
) -> None:
    escalate(api)
    conv = call_conversation(api)
    token = alice(api)
    twilio_server.state.clear()
    accept(api, token, conv["id"])
    [create] = twilio_server.state.calls()
    leg_sid = staff_get(api, f"/api/v1/conversations/{conv['id']}")["channel_meta"]["agent_leg"][
        "call_sid"
    ]
    assert (
        as_twilio(api, create.form["StatusCallback"], leg_params(leg_sid, "ringing")).status_code
        == 204
    )
    r = as_twilio(api, create.form["StatusCallback"], leg_params(leg_sid, "no-answer"))
    assert r.status_code == 204

    view = staff_get(api, f"/api/v1/conversations/{conv['id']}")
    assert view["status"] == "queued" and view["agent"] is None
    [event] = [e for e in view["events"] if e["type"] == "call.agent_unanswered"]
    assert event["data"]["call_status"] == "no-answer"
    items = staff_get(api, "/api/v1/queue")["items"]
    assert [i for i in items if i["conversation_id"] == conv["id"]]
    auditor = api.login("auditor@example.com", "demo-auditor")
    trail = api.staff(
        auditor, "GET", "/api/v1/audit", params={"action": "conversation.requeued"}
    ).json()["items"]
    assert [(e["target_id"], e["details"]["call_status"]) for e in trail] == [
        (conv["id"], "no-answer")
    ]
    # a late whisper request for that leg hangs up instead of bridging to a call not theirs
    root = twiml(as_twilio(api, create.form["Url"], leg_params(leg_sid, "in-progress")))
    assert root.find("Dial") is None and root.find("Hangup") is not None
    # the repeated callback changes nothing; accepting again rings her again
    assert (
        as_twilio(api, create.form["StatusCallback"], leg_params(leg_sid, "no-answer")).status_code
        == 204
    )
    accept(api, token, conv["id"])
    assert len(twilio_server.state.calls()) == 2


def test_an_agent_without_a_phone_keeps_the_call_in_the_desk(
    server: LiveServer, api: Api, twilio_server: FakeTwilio
) -> None:
    escalate(api)
    conv = call_conversation(api)
    token = alice(api, None)
    twilio_server.state.clear()
    accept(api, token, conv["id"])
    assert twilio_server.state.calls() == []
    view = staff_get(api, f"/api/v1/conversations/{conv['id']}")
    assert view["status"] == "assigned"
    [event] = [e for e in view["events"] if e["type"] == "call.agent_unreachable"]
    assert event["data"]["error"] == "no phone on record"


def test_a_bad_phone_is_refused_and_agent_leg_webhooks_are_signed(
    server: LiveServer, api: Api
) -> None:
    token = api.login("agent@example.com", "demo-agent")
    for bad in ("not a number", "client:bad identity", "x" * 300):
        r = api.staff(token, "PUT", "/api/v1/agents/me/phone", json={"phone": bad})
        assert r.status_code == 422, (bad, r.text)
    r = api.staff(token, "PUT", "/api/v1/agents/me/phone", json={"phone": "client:alice"})
    assert r.status_code == 200 and r.json()["phone"] == "client:alice"
    path = f"{BASE}/agent-status?conversation=x&agent=y"
    assert twilio_post(api, path, leg_params("CA1", "no-answer"), sign=False).status_code == 403
    assert twilio_post(api, f"{BASE}/agent", leg_params("CA1", "in-progress")).status_code == 422


def test_keypad_input_is_heard_and_card_numbers_are_never_stored_or_echoed(
    server: LiveServer, api: Api
) -> None:
    sid = new_sid()
    root = incoming(api, sid, caller=ALEX)
    gather = root.find("Gather")
    assert gather is not None and gather.get("input") == "dtmf speech"
    # a card number keyed in
    params = call_params(sid, ALEX, Digits=CARD)
    response = twilio_post(api, f"{BASE}/gather", params)
    assert CARD not in response.text and CARD[-4:] not in response.text
    root = twiml(response)
    gather = root.find("Gather")
    assert gather is not None and gather.get("input") == "dtmf speech"
    assert "not stored" in " ".join(said(gather))
    view = call_conversation(api)
    stored = " ".join(m["text"] for m in view["messages"]) + str(view["events"])
    assert CARD not in stored
    [keyed] = [m for m in view["messages"] if m["channel_meta"].get("source") == "keypad"]
    assert keyed["author"] == "customer" and keyed["channel_meta"]["payment"] is True
    # the security code keyed right after it is card data too
    response = twilio_post(api, f"{BASE}/gather", call_params(sid, ALEX, Digits="737#"))
    assert "737" not in response.text
    assert "security code" in " ".join(said(twiml(response)))
    view = call_conversation(api)
    texts = [m["text"] for m in view["messages"]]
    # (ids are hex, so a short code is looked for in what people and the AI wrote)
    assert "737" not in " ".join(texts)
    assert texts[-1] == "[security code keyed in on the keypad: not stored]"
    # other digits are an answer, as if spoken: here the order number the AI asks for
    say(api, sid, "Where is my order?", caller=ALEX)
    root = twiml(twilio_post(api, f"{BASE}/gather", call_params(sid, ALEX, Digits="1001#")))
    view = call_conversation(api)
    last = [m for m in view["messages"] if m["author"] == "customer"][-1]
    assert last["text"] == "1001" and last["channel_meta"]["source"] == "keypad"
    gather = root.find("Gather")
    assert gather is not None and "1001" in " ".join(said(gather)), ET.tostring(root)


def test_a_caller_who_hangs_up_before_the_agent_answers_is_not_requeued(
    server: LiveServer, api: Api, twilio_server: FakeTwilio
) -> None:
    sid, _ = escalate(api)
    conv = call_conversation(api)
    token = alice(api)
    twilio_server.state.clear()
    accept(api, token, conv["id"])
    [create] = twilio_server.state.calls()
    leg_sid = staff_get(api, f"/api/v1/conversations/{conv['id']}")["channel_meta"]["agent_leg"][
        "call_sid"
    ]
    hung_up = call_params(sid, CallStatus="completed", CallDuration="30")
    assert twilio_post(api, f"{BASE}/status", hung_up).status_code == 204
    r = as_twilio(api, create.form["StatusCallback"], leg_params(leg_sid, "no-answer"))
    assert r.status_code == 204
    view = staff_get(api, f"/api/v1/conversations/{conv['id']}")
    assert view["status"] == "assigned"  # with Alice, for the wrap-up
    assert not any(e["type"] == "call.agent_unanswered" for e in view["events"])
