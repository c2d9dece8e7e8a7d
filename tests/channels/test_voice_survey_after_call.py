"""A phone conversation resolved while the call is still live: no survey call rings
the customer mid-call; when Twilio's status callback says the call ended, the survey call goes
out (once, whatever the number of repeated callbacks), and it is answered like any other."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.channels.test_surveys import resolve, survey_events
from tests.channels.test_voice import call_params, new_sid
from tests.channels.test_voice_transfer import accept, alice, as_twilio, escalate
from tests.channels.twilio_helpers import (
    OUR_NUMBER,
    conversations_of,
    staff_get,
    twilio_post,
    twiml,
)
from tests.fake_twilio import FakeTwilio
from tests.support import Api, LiveServer

STATUS = "/channels/voice/twilio/status"


def test_the_survey_call_waits_for_the_live_call_to_end(
    server: LiveServer, api: Api, twilio_server: FakeTwilio
) -> None:
    sid, _ = escalate(api)
    [conv] = conversations_of(api, "voice")
    token = alice(api)
    accept(api, token, conv["id"])
    twilio_server.state.clear()
    resolve(api, token, conv["id"])  # while the caller is still on the line
    assert twilio_server.state.calls() == []
    assert "survey" not in staff_get(api, f"/api/v1/conversations/{conv['id']}")["channel_meta"]

    # Progress that is not the end changes nothing.
    assert twilio_post(api, STATUS, call_params(sid, CallStatus="in-progress")).status_code == 204
    assert twilio_server.state.calls() == []

    # The caller hangs up: the survey call goes out now, to the caller, from our number.
    ended = call_params(sid, CallStatus="completed", CallDuration="180")
    assert twilio_post(api, STATUS, ended).status_code == 204
    [create] = twilio_server.state.calls()
    assert create.form["To"] == "+14155550163" and create.form["From"] == OUR_NUMBER
    assert urlsplit(create.form["Url"]).path == "/channels/voice/twilio/survey"
    view = staff_get(api, f"/api/v1/conversations/{conv['id']}")
    assert view["channel_meta"]["survey"]["status"] == "asked"
    assert view["status"] == "resolved"
    # Twilio retries its callback: still one survey call.
    assert twilio_post(api, STATUS, ended).status_code == 204
    assert len(twilio_server.state.calls()) == 1

    # The customer answers it with the keypad.
    params = call_params(new_sid(), Direction="outbound-api")
    root = twiml(as_twilio(api, create.form["Url"], params))
    gather = root.find("Gather")
    assert gather is not None
    nps = twiml(as_twilio(api, api.base_url + gather.get("action", ""), {**params, "Digits": "4"}))
    gather = nps.find("Gather")
    assert gather is not None
    as_twilio(api, api.base_url + gather.get("action", ""), {**params, "Digits": "8"})
    [event] = survey_events(api, conv["id"])
    assert event["data"]["rating"] == 4 and event["data"]["nps"] == 8
    assert event["data"]["via"] == "voice"


def test_a_call_that_ends_before_resolution_gets_no_early_survey(
    server: LiveServer, api: Api, twilio_server: FakeTwilio
) -> None:
    sid, _ = escalate(api)
    [conv] = conversations_of(api, "voice")
    token = alice(api)
    accept(api, token, conv["id"])
    twilio_server.state.clear()
    # The call ends while Alice still has the conversation (wrap-up): no survey yet.
    ended = call_params(sid, CallStatus="completed", CallDuration="60")
    assert twilio_post(api, STATUS, ended).status_code == 204
    assert twilio_server.state.calls() == []
    # She resolves after the call: the survey call goes out then, once.
    resolve(api, token, conv["id"])
    assert len(twilio_server.state.calls()) == 1
    assert twilio_post(api, STATUS, ended).status_code == 204
    assert len(twilio_server.state.calls()) == 1
