"""After hours on the phone, over real HTTP with Twilio's signed webhooks: a caller who
asks for a person while the team is away hears the honest message with the next opening and a
keypad/spoken choice instead of the hold queue; 1 records a voicemail (Twilio's <Record> action
and transcription callbacks, stored as the customer's words), 2 books a callback at the next
opening, recorded as the web chat's choice; silence or nonsense repeats once, then takes a
message; the desk queue shows the flag. A caller inside hours is put through as before."""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

import pytest

from hybridcx.hours.calendar import describe
from tests.channels.test_voice import CALLER, call_params, new_sid, said
from tests.channels.test_voice_transfer import as_twilio, escalate
from tests.channels.twilio_helpers import conversations_of, staff_get, twilio_post, twiml
from tests.fake_twilio import ACCOUNT_SID
from tests.hours.test_business_hours_e2e import EVERY_DAY, closed_today
from tests.support import Api, LiveServer

pytestmark = pytest.mark.calendar


def away(api: Api) -> tuple[str, ET.Element, str]:
    """The team is closed today; a caller asks for a person: (sid, TwiML, next opening)."""
    sup = api.login("supervisor@example.com", "demo-supervisor")
    opening = closed_today(api, sup)
    sid, root = escalate(api)
    return sid, root, describe(opening, "UTC")


def follow(api: Api, url: str, sid: str, **extra: str) -> ET.Element:
    """Twilio requesting an action URL hybridcx gave it (relative), with the caller's input."""
    return twiml(as_twilio(api, api.base_url + url, call_params(sid, **extra)))


def the_gather(root: ET.Element) -> ET.Element:
    gather = root.find("Gather")
    assert gather is not None, ET.tostring(root)
    return gather


def conversation(api: Api) -> dict[str, Any]:
    [conv] = conversations_of(api, "voice")
    return staff_get(api, f"/api/v1/conversations/{conv['id']}")  # type: ignore[no-any-return]


def queue_item(api: Api, conv_id: str) -> dict[str, Any]:
    items = staff_get(api, "/api/v1/queue")["items"]
    [item] = [i for i in items if i["conversation_id"] == conv_id]
    return item  # type: ignore[no-any-return]


def test_away_caller_hears_the_next_opening_and_a_choice_instead_of_hold(
    server: LiveServer, api: Api
) -> None:
    sid, root, when = away(api)
    assert root.find("Enqueue") is None and root.find("Dial") is None
    assert not any("hold" in t for t in said(root))
    gather = the_gather(root)
    assert gather.get("input") == "dtmf speech" and gather.get("numDigits") == "1"
    assert gather.get("action") == "/channels/voice/twilio/after-hours?tries=0"
    spoken = " ".join(said(gather))
    assert "Our team is away right now" in spoken and f"We're back {when}" in spoken
    assert "press 1" in spoken and "press 2" in spoken and "press 3" in spoken and when in spoken
    # silence: Twilio falls through to the redirect, to the same action
    assert [c.tag for c in root] == ["Gather", "Redirect"]
    view = conversation(api)
    assert view["status"] == "queued" and view["after_hours"]["next_open"]


def test_two_books_a_callback_at_the_next_opening_as_the_web_chat_does(
    server: LiveServer, api: Api
) -> None:
    sid, root, when = away(api)
    done = follow(api, the_gather(root).get("action", ""), sid, Digits="2")
    assert done.find("Record") is None and done.find("Hangup") is not None
    assert f"call you back on this number {when}" in " ".join(said(done))
    view = conversation(api)
    assert view["status"] == "queued"
    flag = view["after_hours"]
    assert flag["choice"] == "callback" and flag["contact"] == "phone"
    assert flag["callback_at"] == flag["next_open"]
    assert view["customer"]["phone"] == CALLER
    [event] = [e for e in view["events"] if e["type"] == "after_hours.callback"]
    assert event["actor"] == "customer" and event["data"]["callback_at"] == flag["callback_at"]
    # the desk's queue carries the flag for the next shift
    item = queue_item(api, view["id"])
    assert item["after_hours"]["choice"] == "callback"
    assert item["after_hours"]["callback_at"] == flag["callback_at"]
    ended = call_params(sid, CallStatus="completed", CallDuration="40")
    assert twilio_post(api, "/channels/voice/twilio/status", ended).status_code == 204
    assert conversation(api)["status"] == "queued"


def test_three_books_a_callback_at_a_keyed_in_time_that_day(server: LiveServer, api: Api) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    opening = closed_today(api, sup)  # tomorrow 09:00-17:00 UTC
    sid, root = escalate(api)
    ask = follow(api, the_gather(root).get("action", ""), sid, Digits="3")
    gather = the_gather(ask)
    assert gather.get("numDigits") == "4" and "four digits" in " ".join(said(gather))
    assert f"{opening:%A} {opening.day} {opening:%B}" in " ".join(said(gather))
    # 20:00 is after closing: told so (with the next opening after it), asked once more
    again = the_gather(follow(api, gather.get("action", ""), sid, Digits="2000"))
    assert "Our team is closed at that time" in " ".join(said(again))
    assert conversation(api)["after_hours"]["choice"] == "message"  # nothing booked yet
    done = follow(api, again.get("action", ""), sid, Digits="1430")
    at = opening + timedelta(hours=5, minutes=30)
    assert f"call you back on this number {describe(at, 'UTC')}" in " ".join(said(done))
    flag = conversation(api)["after_hours"]
    assert flag["choice"] == "callback" and flag["callback_at"].startswith(
        at.strftime("%Y-%m-%dT%H:%M")
    )


def test_no_usable_time_twice_books_the_next_opening(server: LiveServer, api: Api) -> None:
    sid, root, when = away(api)
    ask = follow(api, the_gather(root).get("action", ""), sid, SpeechResult="three")
    redirect = ask.find("Redirect")
    assert redirect is not None and redirect.text
    again = follow(api, redirect.text, sid)  # silence
    done = follow(api, the_gather(again).get("action", ""), sid, Digits="9999")
    assert f"call you back on this number {when}" in " ".join(said(done))
    flag = conversation(api)["after_hours"]
    assert flag["choice"] == "callback" and flag["callback_at"] == flag["next_open"]


def test_one_records_a_voicemail_stored_as_the_customers_message(
    server: LiveServer, api: Api
) -> None:
    sid, root, _ = away(api)
    done = follow(api, the_gather(root).get("action", ""), sid, SpeechResult="one")
    assert "leave your message after the tone" in " ".join(said(done))
    record = done.find("Record")
    assert record is not None, ET.tostring(done)
    assert record.get("action") == "/channels/voice/twilio/after-hours/recording"
    assert record.get("transcribe") == "true" and record.get("finishOnKey") == "#"
    callback = record.get("transcribeCallback", "")
    assert callback == api.base_url + "/channels/voice/twilio/after-hours/transcription"
    view = conversation(api)
    assert view["after_hours"]["choice"] == "message" and view["after_hours"]["contact"] == "sms"

    # Twilio's <Record> action callback (the caller pressed #), then the transcription
    rec = "RE" + secrets.token_hex(16)
    recording_url = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{rec}"
    params = {"RecordingUrl": recording_url, "RecordingSid": rec, "RecordingDuration": "14"}
    bye = follow(api, record.get("action", ""), sid, Digits="#", **params)
    assert "Your message is with our team" in " ".join(said(bye))
    assert bye.find("Hangup") is not None
    # a retried callback is stored once
    follow(api, record.get("action", ""), sid, Digits="#", **params)
    transcription = {
        **call_params(sid),
        "TranscriptionSid": "TR" + secrets.token_hex(16),
        "TranscriptionText": "Hi, my parcel arrived damaged, please call me tomorrow.",
        "TranscriptionStatus": "completed",
        "TranscriptionUrl": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/"
        "Transcriptions/TR1",
        "TranscriptionType": "fast",
        "RecordingSid": rec,
        "RecordingUrl": recording_url,
        "url": recording_url,
    }
    r = as_twilio(api, callback, transcription)
    assert r.status_code == 204, r.text
    view = conversation(api)
    mine = [m for m in view["messages"] if m["author"] == "customer"]
    voicemail = [m for m in mine if m["channel_meta"].get("source") == "voicemail"]
    assert len(voicemail) == 1
    assert voicemail[0]["channel_meta"]["recording_url"] == recording_url
    assert voicemail[0]["channel_meta"]["recording_duration"] == 14
    assert recording_url in voicemail[0]["text"]
    [words] = [m for m in mine if m["channel_meta"].get("source") == "voicemail_transcription"]
    assert words["text"] == "Hi, my parcel arrived damaged, please call me tomorrow."
    assert words["channel_meta"]["recording_sid"] == rec
    assert view["status"] == "queued"  # nobody answered it: it waits for the next shift
    # the caller hangs up: the call's end does not close it (as an abandoned call would be)
    ended = call_params(sid, CallStatus="completed", CallDuration="75")
    assert twilio_post(api, "/channels/voice/twilio/status", ended).status_code == 204
    view = conversation(api)
    assert view["status"] == "queued" and view["channel_meta"]["call_status"] == "completed"
    assert queue_item(api, view["id"])["after_hours"]["choice"] == "message"


def test_silence_or_nonsense_repeats_once_then_takes_a_message(
    server: LiveServer, api: Api
) -> None:
    sid, root, when = away(api)
    # silence: the Redirect after the Gather asks the action with no input
    redirect = root.find("Redirect")
    assert redirect is not None and redirect.text
    again = follow(api, redirect.text, sid)
    gather = the_gather(again)
    assert gather.get("action") == "/channels/voice/twilio/after-hours?tries=1"
    spoken = " ".join(said(gather))
    assert "didn't get that" in spoken and when in spoken
    assert conversation(api)["after_hours"]["choice"] == "message"  # nothing chosen yet
    # a wrong key the second time: the caller leaves a message
    done = follow(api, gather.get("action", ""), sid, Digits="7")
    assert done.find("Record") is not None
    flag = conversation(api)["after_hours"]
    assert flag["choice"] == "message" and flag["contact"] == "sms"
    assert flag.get("callback_at") is None


def test_bad_callbacks_are_refused_clearly(server: LiveServer, api: Api) -> None:
    sid, _, _ = away(api)
    r = twilio_post(api, "/channels/voice/twilio/after-hours/recording", call_params(sid))
    assert r.status_code == 422 and "RecordingUrl" in r.text
    r = twilio_post(api, "/channels/voice/twilio/after-hours", call_params(new_sid()))
    assert r.status_code == 404 and "No call" in r.text
    unsigned = twilio_post(api, "/channels/voice/twilio/after-hours", call_params(sid), sign=False)
    assert unsigned.status_code == 403


def test_a_caller_inside_hours_is_put_through_as_before(server: LiveServer, api: Api) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    always = {d: [{"open": "00:00", "close": "24:00"}] for d in EVERY_DAY}
    r = api.staff(sup, "PUT", "/api/v1/business-hours", json={"timezone": "UTC", "weekly": always})
    assert r.status_code == 200 and r.json()["open_now"] is True, r.text
    _, root = escalate(api)
    assert root.find("Gather") is None and root.find("Enqueue") is not None
    assert any("hold" in t for t in said(root))
    view = conversation(api)
    assert view["status"] == "queued" and view["after_hours"] is None
