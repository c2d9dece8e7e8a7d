"""Outreach keeps to the customer's preferences: only within their contact hours (in
their time zone) and, when the campaign uses it, only on their preferred channel."""

from __future__ import annotations

from datetime import datetime

from hybridcx.outreach.service import preferred_channels
from tests.channels.email_fixtures import MailSink
from tests.fake_twilio import FakeTwilio
from tests.outreach.test_outreach import ALEX, at, campaign, consent, customer_id, run
from tests.support import Api


def test_preferred_channel_narrows_a_campaign_only_when_it_uses_it() -> None:
    assert preferred_channels(["sms", "email"], "email") == ["email"]
    assert preferred_channels(["sms", "email"], "voice") == ["sms", "email"]
    assert preferred_channels(["sms"], None) == ["sms"]


def test_a_notice_waits_for_the_contact_hours_and_uses_the_preferred_channel(
    mail: Api, mail_sink: MailSink, twilio_server: FakeTwilio
) -> None:
    sam = mail.login("supervisor@example.com", "demo-supervisor")
    alex = customer_id(mail, sam, ALEX)
    consent(mail, sam, alex, True)
    noon = datetime.fromisoformat(at(3, 12).rstrip("Z"))
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[noon.weekday()]
    hours = {"days": [day], "start": "15:00", "end": "17:00", "timezone": "UTC"}
    r = mail.staff(
        sam,
        "PUT",
        f"/api/v1/customers/{alex}/preferences",
        json={"channel": "email", "contact_hours": hours},
    )
    assert r.status_code == 200, r.text
    late = campaign(mail, sam)
    twilio_server.state.clear()

    # Noon is outside the workspace's quiet hours but outside Alex's contact hours too.
    early = run(mail, sam, late["id"], at(3, 12))
    assert early["sent"] == 0 and early["skipped"].get("outside_contact_hours") == 1
    assert mail_sink.sent() == []

    # At 16:00 Alex may be told: by email only, the channel Alex prefers.
    later = run(mail, sam, late["id"], at(3, 16))
    assert later["sent"] == 1, later
    assert twilio_server.state.messages() == []
    mail_sink.wait_for(lambda d: "1001" in str(d.message["Subject"]))
    assert [str(d.message["To"]) for d in mail_sink.sent()] == [ALEX]
