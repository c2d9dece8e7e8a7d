"""Issue 21 §2's last gaps, over real HTTP and the real database: signals evaluated on events
(the conversation log read from a stored cursor, as the automation engine does), and a
failed-payment signal with data behind it (the demo's ``payment_failed`` order)."""

from __future__ import annotations

from datetime import datetime, timedelta

from hybridcx.outreach.events import process_events
from tests.channels.email_fixtures import MailSink
from tests.fake_twilio import FakeTwilio
from tests.outreach.test_outreach import ALEX, at, campaign, consent, customer_id, run
from tests.support import Api, LiveServer

HUGO = "human@example.com"
HUGO_PHONE = "+12025550102"
SAM = "sam.lee@example.com"


def test_a_failed_payment_notifies_the_customer_by_sms_and_email(
    mail: Api, mail_sink: MailSink, twilio_server: FakeTwilio
) -> None:
    sam = mail.login("supervisor@example.com", "demo-supervisor")
    consent(mail, sam, customer_id(mail, sam, HUGO), True)
    failed = campaign(mail, sam, name="Failed payments", signal="failed_payment")
    twilio_server.state.clear()

    result = run(mail, sam, failed["id"], at(0, 12))
    # The seed's one declined payment (order 1000, Hugo Mills), by text and by email.
    assert result["found"] == 1 and result["sent"] == 2 and result["failed"] == 0
    [sms] = twilio_server.state.messages()
    assert sms["To"] == HUGO_PHONE and "order 1000 didn't go through" in sms["Body"]
    email = mail_sink.wait_for(lambda d: str(d.message["To"]) == HUGO).message
    assert "1000" in str(email["Subject"]) and "declined" in email.get_content()
    assert [str(d.message["To"]) for d in mail_sink.sent()] == [HUGO]
    # Once per failed payment.
    assert run(mail, sam, failed["id"], at(0, 13))["skipped"] == {"already_sent": 2}


def test_a_repeat_contact_is_noticed_on_the_event_without_a_scheduled_run(
    mail: Api, mail_sink: MailSink, email_server: LiveServer
) -> None:
    rt = email_server.runtime
    sam = mail.login("supervisor@example.com", "demo-supervisor")
    # Sam asked twice before the engine started: the schedule's business, not an event's.
    for _ in range(2):
        conv = mail.start(SAM, "Sam Lee")
        assert mail.say(conv, "How do I reset my password?").status_code == 200
    for email in (ALEX, SAM):
        consent(mail, sam, customer_id(mail, sam, email), True)
    now = datetime.now() + timedelta(minutes=1)
    assert email_server.call(process_events(rt, now=now)) == []  # the cursor starts here

    twice = campaign(mail, sam, name="Twice", signal="repeat_contact", channels=["email"])
    first = mail.start(ALEX, "Alex Morgan")
    assert mail.say(first, "How do I reset my password?").status_code == 200
    # One contact is no repeat: the event is read, nobody is told.
    [quiet] = email_server.call(process_events(rt, now=now))
    assert quiet["campaign_id"] == twice["id"] and quiet["found"] == 0 and quiet["sent"] == 0
    second = mail.start(ALEX, "Alex Morgan")
    assert mail.say(second, "How do I reset my password?").status_code == 200

    [result] = email_server.call(process_events(rt, now=now))
    # Only the customer the events touched: Sam's repeat is left to the schedule.
    assert result["found"] == 1 and result["sent"] == 1
    sent = mail_sink.wait_for(lambda d: str(d.message["To"]) == ALEX).message
    assert str(sent["Subject"]) == "Can we help?"
    assert [str(d.message["To"]) for d in mail_sink.sent()] == [ALEX]
    # Read once: nothing new, nothing sent; our own notice is not a contact of Alex's.
    assert email_server.call(process_events(rt, now=now)) == []
    # The scheduled run then finds Sam, and Alex was told already (the same rules).
    later = run(mail, sam, twice["id"], now.replace(microsecond=0).isoformat() + "Z")
    assert later["sent"] == 1 and later["skipped"] == {"already_sent": 1}
