"""The desk with SMS and phone conversations in a real browser: the channel and the caller's
number in the queue, the handoff of a call, a reply that goes out by SMS and shows it was sent."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from playwright.sync_api import expect

from tests.browser.conftest import Tab
from tests.browser.test_web import sign_in
from tests.channels.twilio_helpers import OUR_NUMBER, send_sms, sms_replies, twilio_post
from tests.fake_twilio import ACCOUNT_SID, FakeTwilio
from tests.support import Api

TEXTER = "+14155550142"
CALLER = "+14155550163"


def test_agent_answers_a_text_and_sees_a_call_handoff_in_the_desk(
    api: Api, open_tab: Callable[..., Tab], twilio_server: FakeTwilio
) -> None:
    twilio_server.state.clear()
    assert sms_replies(send_sms(api, TEXTER, "I need a person please, my parcel is lost"))
    sid = "CA" + secrets.token_hex(16)
    call = {"AccountSid": ACCOUNT_SID, "CallSid": sid, "From": CALLER, "To": OUR_NUMBER}
    assert twilio_post(api, "/channels/voice/twilio/incoming", call).status_code == 200
    gather = {**call, "SpeechResult": "agent", "Confidence": "0.9"}
    assert twilio_post(api, "/channels/voice/twilio/gather", gather).status_code == 200

    desk = open_tab("/desk")
    sign_in(desk, "agent@example.com", "demo-agent")
    texted = desk.page.locator(".queue-item", has_text=TEXTER)
    expect(texted).to_contain_text("sms")
    called = desk.page.locator(".queue-item", has_text=CALLER)
    expect(called).to_contain_text("voice")
    desk.shot("desk-channels-queue")

    called.get_by_role("button", name="Accept").click()
    expect(desk.page.locator(".handoff")).to_contain_text("via voice")
    expect(desk.page.locator(".transcript")).to_contain_text("agent")

    texted.get_by_role("button", name="Accept").click()
    expect(desk.page.locator(".conv-head")).to_contain_text(TEXTER)
    expect(desk.page.locator(".transcript")).to_contain_text("Alice Agent has joined")
    desk.page.get_by_label("Reply", exact=True).fill("Hi, Alice here. Let me find your parcel.")
    desk.page.get_by_role("button", name="Send", exact=True).click()
    mine = desk.page.locator(".msg-agent", has_text="Let me find your parcel")
    expect(mine.locator(".msg-author")).to_contain_text("· sent")
    desk.shot("desk-sms-reply-sent")
    sent = [(m["To"], m["Body"]) for m in twilio_server.state.messages()]
    assert (TEXTER, "Alice Agent has joined the conversation.") in sent
    assert (TEXTER, "Hi, Alice here. Let me find your parcel.") in sent
