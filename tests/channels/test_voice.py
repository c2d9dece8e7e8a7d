"""The phone line over Twilio Voice end to end: signed webhooks over real HTTP, TwiML parsed and
checked element by element, warm transfer, whisper assist on the desk WebSocket, post-call
summary."""

from __future__ import annotations

import json
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest

from tests.channels.twilio_helpers import (
    OUR_NUMBER,
    conversations_of,
    staff_get,
    twilio_post,
    twiml,
)
from tests.fake_twilio import ACCOUNT_SID, FakeTwilio
from tests.support import Api, LiveServer, read_events_until, recv_until

CALLER = "+14155550163"
BASE = "/channels/voice/twilio"


def call_params(sid: str, caller: str = CALLER, **extra: str) -> dict[str, str]:
    return {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": sid,
        "CallStatus": "in-progress",
        "Called": OUR_NUMBER,
        "Caller": caller,
        "Direction": "inbound",
        "From": caller,
        "To": OUR_NUMBER,
        **extra,
    }


def new_sid() -> str:
    return "CA" + secrets.token_hex(16)


def incoming(api: Api, sid: str, caller: str = CALLER) -> ET.Element:
    return twiml(
        twilio_post(api, f"{BASE}/incoming", call_params(sid, caller, CallStatus="ringing"))
    )


def say(api: Api, sid: str, speech: str, caller: str = CALLER) -> ET.Element:
    params = call_params(sid, caller, SpeechResult=speech, Confidence="0.92")
    return twiml(twilio_post(api, f"{BASE}/gather", params))


def said(root: ET.Element) -> list[str]:
    return [el.text or "" for el in root.iter("Say")]


def call_conversation(api: Api) -> dict[str, Any]:
    [conv] = conversations_of(api, "voice")
    return staff_get(api, f"/api/v1/conversations/{conv['id']}")  # type: ignore[no-any-return]


def test_incoming_call_greets_with_the_ai_disclosure_and_gathers_speech_and_keys(
    server: LiveServer, api: Api
) -> None:
    root = incoming(api, new_sid())
    gather = root.find("Gather")
    assert gather is not None
    assert gather.get("input") == "dtmf speech"  # keypad too (numbers, and cards unheard)
    assert gather.get("action") == f"{BASE}/gather" and gather.get("method") == "POST"
    [greeting] = [el.text or "" for el in gather.findall("Say")]
    assert "You're speaking with our AI assistant" in greeting and "say agent" in greeting
    # after a silent Gather the call says goodbye and hangs up instead of looping forever
    assert [child.tag for child in root] == ["Gather", "Say", "Hangup"]
    view = call_conversation(api)
    assert view["channel"] == "voice" and view["status"] == "bot"
    assert view["customer"]["phone"] == CALLER


def test_speech_goes_through_the_pipeline_and_is_spoken_back(server: LiveServer, api: Api) -> None:
    sid = new_sid()
    incoming(api, sid)
    root = say(api, sid, "What are your opening hours?")
    gather = root.find("Gather")
    assert gather is not None, ET.tostring(root)
    spoken = " ".join(said(gather))
    assert "Monday to Friday" in spoken
    assert "Source:" not in spoken and "/help/articles" not in spoken  # links are for screens
    view = call_conversation(api)
    [msg] = [m for m in view["messages"] if m["author"] == "customer"]
    assert msg["text"] == "What are your opening hours?"
    assert msg["channel_meta"]["call_sid"] == sid and msg["channel_meta"]["confidence"] == 0.92


def test_silence_reprompts(server: LiveServer, api: Api) -> None:
    sid = new_sid()
    incoming(api, sid)
    root = twiml(twilio_post(api, f"{BASE}/gather", call_params(sid)))
    gather = root.find("Gather")
    assert gather is not None and "didn't catch that" in " ".join(said(gather))


def test_escalation_is_a_warm_transfer_with_the_handoff_in_the_desk(
    server: LiveServer, api: Api
) -> None:
    token = api.login("agent@example.com", "demo-agent")
    desk = api.agent_ws(token)
    try:
        sid = new_sid()
        incoming(api, sid)
        say(api, sid, "I forgot my password and can't sign in")
        root = say(api, sid, "I want to talk to a real person")
        assert root.find("Gather") is None
        texts = said(root)
        assert any("hold" in t for t in texts)
        enqueue = root.find("Enqueue")
        assert enqueue is not None and enqueue.text == f"hybridcx-default-{sid}"  # its own queue
        queued = recv_until(desk, lambda e: e["type"] == "conversation.queued")
        conv_id = queued["conversation"]["id"]
    finally:
        desk.close()
    view = staff_get(api, f"/api/v1/conversations/{conv_id}")
    handoff = view["handoff"]
    assert "customer_request" in handoff["reasons"]
    assert handoff["intent"] == "password_reset"
    assert "via voice" in handoff["summary"]
    assert [t["text"] for t in handoff["transcript"] if t["author"] == "customer"] == [
        "I forgot my password and can't sign in",
        "I want to talk to a real person",
    ]
    assert any(e["type"] == "call.transferred" for e in view["events"])
    items = staff_get(api, "/api/v1/queue")["items"]
    [item] = [i for i in items if i["conversation_id"] == conv_id]
    assert item["channel"] == "voice" and item["customer"]["phone"] == CALLER
    assert item["handoff"]["transcript"] == handoff["transcript"]


@pytest.fixture
def dial_mode(server: LiveServer) -> Iterator[None]:
    settings = server.runtime.settings
    assert settings is not None
    before = settings.voice_transfer, settings.voice_transfer_target
    settings.voice_transfer, settings.voice_transfer_target = "dial", "client:desk-agents"
    yield
    settings.voice_transfer, settings.voice_transfer_target = before


def test_transfer_can_dial_the_agents_client(server: LiveServer, api: Api, dial_mode: None) -> None:
    sid = new_sid()
    incoming(api, sid)
    root = say(api, sid, "agent")
    dial = root.find("Dial")
    assert dial is not None and root.find("Enqueue") is None
    client = dial.find("Client")
    assert client is not None and (client.text or "").strip() == "desk-agents"


def test_vip_caller_goes_to_people_at_once(server: LiveServer, api: Api) -> None:
    root = incoming(api, new_sid(), caller="+12025550101")  # vip@example.com's phone
    assert root.find("Gather") is None and root.find("Enqueue") is not None
    assert "Victoria" in said(root)[0]


def test_bad_signature_is_403_and_nothing_is_stored(server: LiveServer, api: Api) -> None:
    params = call_params(new_sid())
    r = twilio_post(api, f"{BASE}/incoming", params, token="wrong-token")
    assert r.status_code == 403
    r = twilio_post(api, f"{BASE}/gather", {**params, "SpeechResult": "hi"}, sign=False)
    assert r.status_code == 403
    assert conversations_of(api, "voice") == []


def _escalated_call(api: Api) -> tuple[str, str, str]:
    """A call handed to people and accepted by Alice: (call sid, conversation id, her token)."""
    sid = new_sid()
    incoming(api, sid)
    say(api, sid, "My order arrived damaged and I need help")
    say(api, sid, "agent")
    conv_id = call_conversation(api)["id"]
    token = api.login("agent@example.com", "demo-agent")
    assert api.staff(token, "POST", f"/api/v1/conversations/{conv_id}/accept").status_code == 200
    return sid, conv_id, token


def transcript(api: Api, sid: str, text: str, seq: str, track: str = "inbound_track") -> Any:
    params = call_params(
        sid,
        TranscriptionEvent="transcription-content",
        TranscriptionSid="GT" + "0" * 32,
        Track=track,
        SequenceId=seq,
        Final="true",
        TranscriptionData=json.dumps({"transcript": text, "confidence": 0.95}),
    )
    return twilio_post(api, f"{BASE}/transcript", params)


def test_live_transcript_reaches_the_desk_with_assist_and_supervisor_whispers(
    server: LiveServer, api: Api, twilio_server: FakeTwilio
) -> None:
    sid, conv_id, token = _escalated_call(api)
    desk = api.agent_ws(token)
    try:
        said_now = "Can I return an item if I change my mind?"
        r = transcript(api, sid, said_now, "1")
        assert r.status_code == 204, r.text
        seen = read_events_until(desk, lambda e: e["type"] == "assist.updated")
        created = [e for e in seen if e["type"] == "message.created"]
        assert created[0]["message"]["author"] == "customer"
        assert created[0]["message"]["channel_meta"]["source"] == "transcript"
        event = seen[-1]
        assert event["conversation_id"] == conv_id
        # fresh suggestions for what the caller just said: the article that answers it, a
        # draft grounded in it, and the running summary naming it as still unanswered
        assist = event["assist"]
        assert assist["query"] == said_now
        assert assist["knowledge"][0]["title"] == "Returns policy"
        draft = assist["draft"]
        assert draft["grounded"] and draft["sources"][0]["title"] == "Returns policy"
        assert "30 days" in draft["text"]
        assert f'Pending: unanswered: "{said_now}"' in assist["summary"]
        # the same segment again (Twilio retried) is stored once; the agent's track is not stored
        assert transcript(api, sid, said_now, "1").status_code == 204
        assert (
            transcript(api, sid, "Let me check that for you", "2", "outbound_track").status_code
            == 204
        )
        view = staff_get(api, f"/api/v1/conversations/{conv_id}")
        segs = [m for m in view["messages"] if m["channel_meta"].get("source") == "transcript"]
        assert len(segs) == 1
        assert not any(
            m["author"] == "ai" and m["created_at"] >= segs[0]["created_at"]
            for m in view["messages"]
        )
        # a supervisor whispers: an internal note for the agent, never sent to the caller
        twilio_server.state.clear()
        sup = api.login("supervisor@example.com", "demo-supervisor")
        r = api.staff(
            sup,
            "POST",
            f"/api/v1/conversations/{conv_id}/replies",
            json={"text": "Offer the reset link, then check the order", "internal": True},
        )
        assert r.status_code == 200 and r.json()["internal"] is True
        whisper = recv_until(
            desk, lambda e: e["type"] == "message.created" and e["message"]["internal"]
        )
        assert whisper["message"]["text"].startswith("Offer the reset link")
        assert twilio_server.state.requests == []
    finally:
        desk.close()


def test_post_call_summary_for_an_ai_call(server: LiveServer, api: Api) -> None:
    sid = new_sid()
    incoming(api, sid)
    say(api, sid, "What are your opening hours?")
    params = call_params(sid, CallStatus="completed", CallDuration="42")
    assert twilio_post(api, f"{BASE}/status", params).status_code == 204
    view = call_conversation(api)
    assert view["status"] == "resolved"
    [resolved] = [e for e in view["events"] if e["type"] == "conversation.resolved"]
    data = resolved["data"]
    assert data["outcome"] == "resolved_by_ai" and data["intent"] == "opening_hours"
    assert data["category"] == "General" and data["duration_seconds"] == 42
    # the issue, what was done (the AI's answer), and that nothing is pending
    assert data["summary"] == (
        'The customer contacted us about general: "What are your opening hours?". '
        'Done: AI answered: "Our stores are open Monday to Friday 9:00-19:00, Saturday '
        '10:00-18:00 and Sunday 11:00-16:00.". Pending: nothing. Resolved.'
    )
    # a repeated callback changes nothing
    assert twilio_post(api, f"{BASE}/status", params).status_code == 204
    view = call_conversation(api)
    assert len([e for e in view["events"] if e["type"] == "conversation.resolved"]) == 1


def test_post_call_summary_for_an_agents_call(server: LiveServer, api: Api) -> None:
    sid, conv_id, _ = _escalated_call(api)
    params = call_params(sid, CallStatus="completed", CallDuration="300")
    assert twilio_post(api, f"{BASE}/status", params).status_code == 204
    view = staff_get(api, f"/api/v1/conversations/{conv_id}")
    assert view["status"] == "assigned"  # the agent wraps up
    [event] = [e for e in view["events"] if e["type"] == "conversation.summarized"]
    assert event["data"]["outcome"] == "handled_by_agent"
    assert event["data"]["category"] == "Orders" and event["data"]["intent"] == "damaged_item"
    summary = event["data"]["summary"]
    assert summary.startswith(
        'The customer contacted us about orders: "My order arrived damaged and I need help". '
        "Done: handed to a person because "
    )
    assert "the customer asked for a person" in summary
    assert "connecting you" not in summary  # the AI's hand-off notice is not an answer
    # with Alice still to wrap up, the summary says so rather than "Resolved."
    assert summary.endswith("Pending: the conversation is still open. Open.")
    [note] = [m for m in view["messages"] if m["internal"] and m["author"] == "system"]
    assert note["text"] == f"Call ended. Summary: {summary} Category: Orders."


def test_a_customer_who_wrote_by_email_and_calls_is_one_customer(
    server: LiveServer, api: Api
) -> None:
    chat = api.start("alex@example.com", "Alex Morgan")
    root = incoming(api, new_sid(), caller="+12025550100")  # the phone on Alex's record
    assert said(root)[0].startswith("Hi Alex! You're speaking with our AI assistant.")
    view = call_conversation(api)
    chat_view = staff_get(api, f"/api/v1/conversations/{chat['id']}")
    assert view["customer"]["id"] == chat_view["customer"]["id"]
    assert view["customer"]["email"] == "alex@example.com"


def test_human_only_caller_hears_why_and_is_transferred(server: LiveServer, api: Api) -> None:
    root = incoming(api, new_sid(), caller="+12025550102")  # human@example.com: people only
    assert root.find("Gather") is None and root.find("Enqueue") is not None
    assert "served by our team only" in said(root)[0]
    assert "AI assistant" not in said(root)[0]
