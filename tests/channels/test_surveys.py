"""Surveys on every channel, through the channels' real protocols: after an agent
resolves an email, an SMS or a phone conversation, the customer is asked by a signed link in
the thread, by a text they answer with a digit, or by a short call they answer with the keypad
or by voice; each answer is the same ``survey.submitted`` event as web chat's and shows in the
CSAT and NPS KPIs of its channel."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from tests.channels.email_fixtures import MailSink
from tests.channels.test_email_smtp import (
    conversation,
    email_conversations,
    mail,  # noqa: F401 (fixture)
    make_mail,
    smtp_send,
    staff_token,
)
from tests.channels.test_voice import call_params, new_sid, said
from tests.channels.test_voice_transfer import accept, alice, as_twilio, escalate
from tests.channels.twilio_helpers import (
    OUR_NUMBER,
    conversations_of,
    send_sms,
    sms_replies,
    staff_get,
    twilio_post,
    twiml,
)
from tests.fake_twilio import FakeTwilio
from tests.support import Api, LiveServer

KPIS = "/api/v1/analytics/kpis"
TEXTER = "+14155550177"


def kpis(api: Api, channel: str) -> dict[str, Any]:
    sam = api.login("supervisor@example.com", "demo-supervisor")
    r = api.staff(sam, "GET", KPIS, params={"channel": channel})
    assert r.status_code == 200, r.text
    return r.json()["customer_experience"]  # type: ignore[no-any-return]


def resolve(api: Api, token: str, conv_id: str) -> None:
    r = api.staff(token, "POST", f"/api/v1/conversations/{conv_id}/resolve")
    assert r.status_code == 200, r.text


def survey_events(api: Api, conv_id: str) -> list[dict[str, Any]]:
    view = staff_get(api, f"/api/v1/conversations/{conv_id}")
    return [e for e in view["events"] if e["type"] == "survey.submitted"]


# ---- email: a signed link to the survey page -----------------------------------------------


def test_email_survey_by_a_signed_link(
    email_server: LiveServer,
    mail_sink: MailSink,
    mail: Api,  # noqa: F811
) -> None:
    smtp_send(email_server, make_mail("I want to speak to a person, please.", subject="Help"))
    agent = staff_token(mail, "agent")
    [conv] = email_conversations(mail, agent)
    r = mail.staff(agent, "POST", f"/api/v1/conversations/{conv['id']}/accept")
    assert r.status_code == 200, r.text
    mail_sink.clear()
    resolve(mail, agent, conv["id"])

    sent = mail_sink.wait_for(lambda d: "How did we do?" in d.message.get_content()).message
    body = sent.get_content()
    link = re.search(r"\((https://cx\.northwind\.test/survey/([^)\s]+))\)", body)
    assert link is not None, body
    token = link.group(2)
    assert token.startswith(conv["id"] + ".")
    view = conversation(mail, agent, conv["id"])
    assert view["channel_meta"]["survey"]["status"] == "asked"
    [asked] = [m for m in view["messages"] if m["channel_meta"].get("survey") == "csat"]
    assert asked["channel_meta"]["delivery"]["status"] == "sent"

    # The page and its API, as the customer's browser uses them.
    page = mail.http.get(urlsplit(link.group(1)).path)
    assert page.status_code == 200 and "How did we do?" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    api_path = f"/api/v1/surveys/{token}"
    assert mail.http.get(api_path).json()["status"] == "open"
    forged = f"/api/v1/surveys/{conv['id']}.{'0' * 32}"
    assert mail.http.get(forged).status_code == 404
    assert mail.http.post(forged, json={"rating": 5}).status_code == 404
    assert mail.http.post(api_path, json={"rating": 9}).status_code == 422
    r = mail.http.post(api_path, json={"rating": 4, "nps": 9, "comment": "Quick and kind"})
    assert r.status_code == 201, r.text
    assert mail.http.post(api_path, json={"rating": 1}).status_code == 409
    assert mail.http.get(api_path).json()["status"] == "answered"

    [event] = survey_events(mail, conv["id"])
    assert event["data"]["rating"] == 4 and event["data"]["nps"] == 9
    assert event["data"]["via"] == "link" and event["data"]["comment"] == "Quick and kind"
    cx = kpis(mail, "email")
    assert cx["csat"]["responses"] == 1 and cx["csat"]["average"] == 4.0
    assert cx["nps"]["responses"] == 1 and cx["nps"]["promoters"] == 1


# ---- SMS: reply with a digit ----------------------------------------------------------------


def test_sms_survey_answered_with_a_digit(
    server: LiveServer, api: Api, twilio_server: FakeTwilio
) -> None:
    sms_replies(send_sms(api, TEXTER, "agent"))
    [conv] = conversations_of(api, "sms")
    agent = api.login("agent@example.com", "demo-agent")
    assert api.staff(agent, "POST", f"/api/v1/conversations/{conv['id']}/accept").is_success
    # Before the survey, a digit is an ordinary message.
    send_sms(api, TEXTER, "5")
    assert survey_events(api, conv["id"]) == []
    twilio_server.state.clear()
    resolve(api, agent, conv["id"])

    [question] = twilio_server.state.messages()
    assert question["To"] == TEXTER and question["From"] == OUR_NUMBER
    assert "Reply with a number from 1 (poor) to 5 (excellent)" in question["Body"]

    assert sms_replies(send_sms(api, TEXTER, " 4 9 ")) == ["Thank you for your feedback!"]
    [event] = survey_events(api, conv["id"])
    assert event["data"]["rating"] == 4 and event["data"]["nps"] == 9
    assert event["data"]["via"] == "sms" and event["actor"] == "customer"
    # Once only: a second digit is an ordinary message again (a new conversation).
    assert sms_replies(send_sms(api, TEXTER, "1")) != ["Thank you for your feedback!"]
    assert len(survey_events(api, conv["id"])) == 1
    assert len(conversations_of(api, "sms")) == 2
    cx = kpis(api, "sms")
    assert cx["csat"]["responses"] == 1 and cx["csat"]["average"] == 4.0
    assert cx["nps"]["responses"] == 1


# ---- voice: a short call, keypad or spoken digit --------------------------------------------


def _resolved_call(api: Api, twilio_server: FakeTwilio) -> tuple[str, dict[str, Any]]:
    """A call handed to Alice and resolved: (conversation id, the survey call's request)."""
    sid, _ = escalate(api)
    [conv] = conversations_of(api, "voice")
    token = alice(api)
    accept(api, token, conv["id"])
    # The caller hangs up; the agent resolves after the call.
    ended = call_params(sid, CallStatus="completed", CallDuration="240")
    assert twilio_post(api, "/channels/voice/twilio/status", ended).status_code == 204
    twilio_server.state.clear()
    resolve(api, token, conv["id"])
    [create] = twilio_server.state.calls()
    return conv["id"], create.form


def test_voice_survey_by_keypad_then_spoken_recommendation(
    server: LiveServer, api: Api, twilio_server: FakeTwilio
) -> None:
    conv_id, form = _resolved_call(api, twilio_server)
    assert form["To"] == "+14155550163" and form["From"] == OUR_NUMBER
    assert urlsplit(form["Url"]).path == "/channels/voice/twilio/survey"
    sid = new_sid()
    params = call_params(sid, Direction="outbound-api")

    root = twiml(as_twilio(api, form["Url"], params))
    gather = root.find("Gather")
    assert gather is not None and gather.get("input") == "dtmf speech"
    assert "from 1 for poor to 5 for excellent" in said(root)[0]
    # A key outside 1-5 is asked again.
    again = twiml(
        as_twilio(api, api.base_url + gather.get("action", ""), {**params, "Digits": "7"})
    )
    assert "did not get that" in said(again)[0]
    gather = again.find("Gather")
    assert gather is not None
    nps = twiml(as_twilio(api, api.base_url + gather.get("action", ""), {**params, "Digits": "5"}))
    assert "recommend us" in said(nps)[0]
    gather = nps.find("Gather")
    assert gather is not None and gather.get("numDigits") == "2"
    spoken = {**params, "SpeechResult": "a nine", "Confidence": "0.9"}
    bye = twiml(as_twilio(api, api.base_url + gather.get("action", ""), spoken))
    assert said(bye) == ["Thank you for your feedback. Goodbye."]
    [event] = survey_events(api, conv_id)
    assert event["data"]["rating"] == 5 and event["data"]["nps"] == 9
    assert event["data"]["via"] == "voice"
    cx = kpis(api, "voice")
    assert cx["csat"]["responses"] == 1 and cx["csat"]["average"] == 5.0
    # The call again (a replayed request) records nothing more.
    root = twiml(as_twilio(api, form["Url"], params))
    assert root.find("Gather") is None
    assert len(survey_events(api, conv_id)) == 1


def test_voice_survey_spoken_rating_without_the_optional_question(
    server: LiveServer, api: Api, twilio_server: FakeTwilio
) -> None:
    conv_id, form = _resolved_call(api, twilio_server)
    params = call_params(new_sid(), Direction="outbound-api")
    root = twiml(as_twilio(api, form["Url"], params))
    gather = root.find("Gather")
    assert gather is not None
    spoken = {**params, "SpeechResult": "Three.", "Confidence": "0.8"}
    nps = twiml(as_twilio(api, api.base_url + gather.get("action", ""), spoken))
    # Silence on the optional question: Twilio follows the redirect after the Gather.
    redirect = nps.find("Redirect")
    assert redirect is not None and redirect.text
    bye = twiml(as_twilio(api, api.base_url + redirect.text, params))
    assert said(bye) == ["Thank you for your feedback. Goodbye."]
    [event] = survey_events(api, conv_id)
    assert event["data"]["rating"] == 3 and event["data"]["nps"] is None


def test_voice_survey_requests_are_signed_and_scoped(
    server: LiveServer, api: Api, twilio_server: FakeTwilio
) -> None:
    conv_id, form = _resolved_call(api, twilio_server)
    path = urlsplit(form["Url"]).path + "?" + urlsplit(form["Url"]).query
    params = call_params(new_sid(), Direction="outbound-api")
    assert api.http.post(path, data=params).status_code == 403  # not signed by Twilio
    forged = f"/channels/voice/twilio/survey/answer?t={conv_id}.{'0' * 32}&rating=5"
    r = as_twilio(api, api.base_url + forged, params)
    assert r.status_code == 404
    assert survey_events(api, conv_id) == []


def test_no_survey_call_while_the_call_is_still_on(
    server: LiveServer, api: Api, twilio_server: FakeTwilio
) -> None:
    escalate(api)
    [conv] = conversations_of(api, "voice")
    token = alice(api)
    accept(api, token, conv["id"])
    twilio_server.state.clear()
    resolve(api, token, conv["id"])
    assert twilio_server.state.calls() == []
    view = staff_get(api, f"/api/v1/conversations/{conv['id']}")
    assert "survey" not in view["channel_meta"]
