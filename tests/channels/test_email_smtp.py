"""The email channel end to end: real SMTP into the server's built-in receiver, the real AI
pipeline, and replies caught by a local SMTP sink."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email import message_from_string, policy
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest

from tests.channels.email_fixtures import SUPPORT, MailSink
from tests.support import Api, LiveServer

CUSTOMER = "alex@example.com"
BOUNCE = """\
From: Mail Delivery System <MAILER-DAEMON@mx.example.com>
To: {support}
Subject: Undelivered Mail Returned to Sender
Message-ID: {id}
In-Reply-To: {ours}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

This is the mail system. Your message could not be delivered.

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; alex@example.com
Action: failed
Status: 5.1.1

--b1--
"""


@pytest.fixture
def mail(email_server: LiveServer, mail_sink: MailSink) -> Iterator[Api]:
    email_server.reset()
    mail_sink.clear()
    client = Api(email_server.url, email_server.ws_url)
    yield client
    client.close()


def make_mail(
    text: str,
    *,
    subject: str = "Question",
    sender: str = f"Alex Morgan <{CUSTOMER}>",
    to: str = SUPPORT,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="example.com")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = references or in_reply_to
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(text)
    return msg


def smtp_send(
    server: LiveServer,
    msg: EmailMessage,
    *,
    mail_from: str = CUSTOMER,
    rcpt: list[str] | None = None,
) -> dict[str, Any]:
    port = server.settings.smtp_inbound_port
    assert port is not None
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        return client.send_message(msg, from_addr=mail_from, to_addrs=rcpt or [SUPPORT])


def staff_token(api: Api, who: str = "agent") -> str:
    creds = {
        "agent": ("agent@example.com", "demo-agent"),
        "supervisor": ("supervisor@example.com", "demo-supervisor"),
    }[who]
    return api.login(*creds)


def email_conversations(api: Api, token: str) -> list[dict[str, Any]]:
    r = api.staff(token, "GET", "/api/v1/conversations")
    assert r.status_code == 200, r.text
    return [c for c in r.json()["items"] if c["channel"] == "email"]


def conversation(api: Api, token: str, conversation_id: str) -> dict[str, Any]:
    r = api.staff(token, "GET", f"/api/v1/conversations/{conversation_id}")
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_wrong_recipient_is_refused_with_550(email_server: LiveServer, mail: Api) -> None:
    msg = make_mail("Hello?", to="sales@northwind.test")
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        smtp_send(email_server, msg, rcpt=["sales@northwind.test"])
    code, reason = refused.value.recipients["sales@northwind.test"]
    assert code == 550 and b"no such mailbox" in reason
    # With one good and one bad recipient, only the good one is accepted.
    msg = make_mail("What are your opening hours?")
    refusals = smtp_send(email_server, msg, rcpt=["other@example.org", SUPPORT])
    assert refusals["other@example.org"][0] == 550
    assert len(email_conversations(mail, staff_token(mail, "supervisor"))) == 1


def test_tier1_email_is_answered_by_mail_in_the_thread(
    email_server: LiveServer, mail: Api, mail_sink: MailSink
) -> None:
    msg = make_mail("Hi, what are your opening hours on weekends?", subject="Opening hours")
    smtp_send(email_server, msg)
    reply = mail_sink.wait_for()
    out = reply.message
    assert reply.rcpt_tos == [CUSTOMER]
    assert reply.mail_from == SUPPORT
    assert SUPPORT in str(out["From"]) and "Northwind Support" in str(out["From"])
    assert str(out["Subject"]) == "Re: Opening hours"
    assert str(out["In-Reply-To"]) == msg["Message-ID"]
    assert msg["Message-ID"] in str(out["References"])
    assert str(out["Auto-Submitted"]) == "auto-replied"
    body = out.get_content().replace("\r\n", "\n")
    assert "AI assistant" in body
    token = staff_token(mail, "supervisor")
    [conv] = email_conversations(mail, token)
    assert conv["status"] == "bot" and conv["tier"] == 1
    full = conversation(mail, token, conv["id"])
    customer_msg = (
        full["messages"][1] if full["messages"][0]["author"] != "customer" else full["messages"][0]
    )
    assert customer_msg["text"] == "Hi, what are your opening hours on weekends?"
    assert customer_msg["channel_meta"]["email"]["message_id"] == msg["Message-ID"]
    ai = [m for m in full["messages"] if m["author"] == "ai"]
    assert ai and all(m["channel_meta"]["delivery"]["status"] == "sent" for m in ai)
    # Article links are absolute in a mail (HYBRIDCX_PUBLIC_URL), relative in the transcript.
    assert "(https://cx.northwind.test/help/articles/opening-hours)" in body
    assert all(m["text"].replace("(/help/", "(https://cx.northwind.test/help/") in body for m in ai)
    assert len(mail_sink.sent()) == 1


def test_customer_reply_lands_in_the_same_conversation_with_quotes_stripped(
    email_server: LiveServer, mail: Api, mail_sink: MailSink
) -> None:
    first = make_mail("What are your opening hours?", subject="Hours")
    smtp_send(email_server, first)
    ours = mail_sink.wait_for().message
    mail_sink.clear()
    quoted = "\n".join(f"> {line}" for line in ours.get_content().splitlines())
    reply = make_mail(
        f"Thanks! And how do I reset my password?\n\nOn Fri, 27 Nov 2026 Northwind Support "
        f"<{SUPPORT}> wrote:\n{quoted}",
        subject="Re: Hours",
        in_reply_to=str(ours["Message-ID"]),
        references=f"{first['Message-ID']} {ours['Message-ID']}",
    )
    smtp_send(email_server, reply)
    second = mail_sink.wait_for().message
    token = staff_token(mail, "supervisor")
    [conv] = email_conversations(mail, token)
    full = conversation(mail, token, conv["id"])
    customer = [m for m in full["messages"] if m["author"] == "customer"]
    assert [m["text"] for m in customer] == [
        "What are your opening hours?",
        "Thanks! And how do I reset my password?",
    ]
    assert customer[-1]["channel_meta"]["email"]["quoted_text_removed"] is True
    # Our second answer continues the same mail thread.
    assert str(second["In-Reply-To"]) == reply["Message-ID"]
    refs = str(second["References"]).split()
    assert refs[:3] == [first["Message-ID"], str(ours["Message-ID"]), reply["Message-ID"]]
    assert str(second["Subject"]) == "Re: Hours"


def test_duplicate_delivery_is_processed_and_answered_once(
    email_server: LiveServer, mail: Api, mail_sink: MailSink
) -> None:
    msg = make_mail("What are your opening hours?")
    smtp_send(email_server, msg)
    smtp_send(email_server, msg)
    mail_sink.wait_for()
    token = staff_token(mail, "supervisor")
    [conv] = email_conversations(mail, token)
    full = conversation(mail, token, conv["id"])
    assert [m["author"] for m in full["messages"]].count("customer") == 1
    assert len(mail_sink.sent()) == 1


def test_non_tier1_email_gets_a_draft_that_is_sent_only_when_approved(
    email_server: LiveServer, mail: Api, mail_sink: MailSink
) -> None:
    smtp_send(email_server, make_mail("I want to make a complaint about my last delivery."))
    # The receiver answers 250 only after the turn: anything the AI sent would be here now.
    assert mail_sink.sent() == []
    agent = staff_token(mail)
    [conv] = email_conversations(mail, agent)
    assert conv["status"] == "queued" and conv["tier"] >= 2
    cid = conv["id"]
    r = mail.staff(agent, "GET", f"/api/v1/conversations/{cid}/drafts")
    assert r.status_code == 200, r.text
    [draft] = r.json()["items"]
    assert draft["status"] == "pending" and draft["text"]
    held = [m for m in conversation(mail, agent, cid)["messages"] if m["author"] == "ai"]
    assert all(m["channel_meta"]["delivery"]["status"] == "held" for m in held)
    path = f"/api/v1/conversations/{cid}/drafts/{draft['id']}"
    # Not the agent's yet: approving is refused and nothing is sent.
    r = mail.staff(agent, "POST", f"{path}/approve")
    assert r.status_code == 409, r.text
    assert mail_sink.sent() == []
    edited = "Hi Alex, I'm sorry about the delivery. I've refunded the shipping fee."
    r = mail.staff(agent, "PATCH", path, json={"text": edited})
    assert r.status_code == 200 and r.json()["edited"] is True
    assert mail.staff(agent, "GET", path).json()["text"] == edited
    assert mail_sink.sent() == []
    assert mail.staff(agent, "POST", f"/api/v1/conversations/{cid}/accept").status_code == 200
    r = mail.staff(agent, "POST", f"{path}/approve")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["draft"]["status"] == "sent"
    assert body["message"]["author"] == "agent" and body["message"]["text"] == edited
    assert body["message"]["channel_meta"]["delivery"]["status"] == "sent"
    sent = mail_sink.wait_for().message
    assert sent.get_content().strip() == edited
    assert sent["Auto-Submitted"] is None  # a person's reply
    assert str(sent["Subject"]).startswith("Re: ")
    # Exactly once: a second approval is refused.
    assert mail.staff(agent, "POST", f"{path}/approve").status_code == 409
    assert len(mail_sink.sent()) == 1


def test_draft_can_be_discarded_and_bad_edits_are_4xx(
    email_server: LiveServer, mail: Api, mail_sink: MailSink
) -> None:
    smtp_send(email_server, make_mail("I want to make a complaint about my order."))
    sup = staff_token(mail, "supervisor")
    [conv] = email_conversations(mail, sup)
    base = f"/api/v1/conversations/{conv['id']}/drafts"
    [draft] = mail.staff(sup, "GET", base).json()["items"]
    path = f"{base}/{draft['id']}"
    assert mail.staff(sup, "PATCH", path, json={"text": ""}).status_code == 422
    assert mail.staff(sup, "PATCH", path, json={"text": "   "}).status_code == 422
    assert mail.staff(sup, "PATCH", path, json={"text": "x" * 5000}).status_code == 413
    assert mail.staff(sup, "GET", f"{base}/not-a-draft").status_code == 404
    assert mail.staff(sup, "POST", f"{path}/discard").json()["status"] == "discarded"
    assert mail.staff(sup, "POST", f"{path}/approve").status_code == 409
    assert mail.staff(sup, "PATCH", path, json={"text": "late"}).status_code == 409
    assert mail.http.get(base).status_code == 401
    assert mail_sink.sent() == []


def test_agent_reply_typed_in_the_desk_goes_out_by_email(
    email_server: LiveServer, mail: Api, mail_sink: MailSink
) -> None:
    msg = make_mail("I want to make a complaint.", subject="Complaint")
    smtp_send(email_server, msg)
    agent = staff_token(mail)
    [conv] = email_conversations(mail, agent)
    assert (
        mail.staff(agent, "POST", f"/api/v1/conversations/{conv['id']}/accept").status_code == 200
    )
    r = mail.staff(
        agent,
        "POST",
        f"/api/v1/conversations/{conv['id']}/replies",
        json={"text": "Hi Alex, I'm on it.", "internal": False},
    )
    assert r.status_code in (200, 201), r.text
    assert r.json()["channel_meta"]["delivery"]["status"] == "sent"
    sent = mail_sink.wait_for().message
    assert sent.get_content().strip() == "Hi Alex, I'm on it."
    assert str(sent["In-Reply-To"]) == msg["Message-ID"]
    assert str(sent["Subject"]) == "Re: Complaint"
    # An internal note never leaves.
    r = mail.staff(
        agent,
        "POST",
        f"/api/v1/conversations/{conv['id']}/replies",
        json={"text": "note to self", "internal": True},
    )
    assert r.status_code in (200, 201)
    assert len(mail_sink.sent()) == 1


def test_policy_can_let_an_intent_go_out_without_approval(
    email_server: LiveServer, mail: Api, mail_sink: MailSink
) -> None:
    policy = email_server.settings.policy_dir / "default.yaml"
    policy.parent.mkdir(parents=True, exist_ok=True)
    policy.write_text("email:\n  auto_send_intents: [complaint]\n")
    try:
        smtp_send(email_server, make_mail("I want to make a complaint about my order."))
        sent = mail_sink.wait_for().message
    finally:
        policy.unlink()
    assert str(sent["Auto-Submitted"]) == "auto-replied"
    sup = staff_token(mail, "supervisor")
    [conv] = email_conversations(mail, sup)
    [draft] = mail.staff(sup, "GET", f"/api/v1/conversations/{conv['id']}/drafts").json()["items"]
    assert draft["status"] == "sent" and draft["decided_by"] is None
    assert draft["text"] in sent.get_content().replace("\r\n", "\n")


def test_auto_replies_and_bounces_are_recorded_and_never_answered(
    email_server: LiveServer, mail: Api, mail_sink: MailSink
) -> None:
    first = make_mail("What are your opening hours?", subject="Hours")
    smtp_send(email_server, first)
    ours = mail_sink.wait_for().message
    mail_sink.clear()
    ours_id = str(ours["Message-ID"])
    out_of_office = make_mail(
        "I am out of the office until Monday.",
        subject="Automatic reply: Re: Hours",
        in_reply_to=ours_id,
        headers={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"},
    )
    smtp_send(email_server, out_of_office)
    bounce = message_from_string(
        BOUNCE.format(support=SUPPORT, ours=ours_id, id=make_msgid(domain="mx.example.com")),
        policy=policy.SMTP,
    )
    smtp_send(email_server, bounce, mail_from="")
    bulk = make_mail("Our newsletter", headers={"Precedence": "bulk", "List-Id": "<news.x.org>"})
    smtp_send(email_server, bulk)
    own = make_mail("echo", sender=f"Support <{SUPPORT}>")
    smtp_send(email_server, own, mail_from=SUPPORT)
    assert mail_sink.sent() == []
    sup = staff_token(mail, "supervisor")
    [conv] = email_conversations(mail, sup)  # nothing started a conversation
    full = conversation(mail, sup, conv["id"])
    assert [m["text"] for m in full["messages"] if m["author"] == "customer"] == [
        "What are your opening hours?"
    ]
    ignored = [e for e in full["events"] if e["type"] == "email.ignored"]
    kinds = sorted(e["data"]["kind"] for e in ignored)
    assert kinds == ["auto_reply", "bounce"]
    # All four are in the inbound mail log with why (supervisors only).
    r = mail.staff(sup, "GET", "/api/v1/email/inbound?status=ignored")
    assert r.status_code == 200, r.text
    logged = {i["message_id"]: i for i in r.json()["items"]}
    assert {logged[m["Message-ID"]]["kind"] for m in (out_of_office, bulk, own)} == {
        "auto_reply",
        "bulk",
        "own_message",
    }
    assert logged[bounce["Message-ID"]]["kind"] == "bounce"
    assert logged[out_of_office["Message-ID"]]["conversation_id"] == conv["id"]
    assert logged[bulk["Message-ID"]]["conversation_id"] is None
    processed = mail.staff(sup, "GET", "/api/v1/email/inbound?status=processed").json()["items"]
    assert [i["message_id"] for i in processed] == [first["Message-ID"]]
    agent = staff_token(mail)
    assert mail.staff(agent, "GET", "/api/v1/email/inbound").status_code == 403
    assert mail.staff(sup, "GET", "/api/v1/email/inbound?status=nope").status_code == 422


def test_html_only_mail_with_attachments_over_the_limits(
    email_server: LiveServer, mail: Api, mail_sink: MailSink
) -> None:
    msg = EmailMessage()
    msg["From"] = f"Alex Morgan <{CUSTOMER}>"
    msg["To"] = SUPPORT
    msg["Subject"] = "Photos"
    msg["Message-ID"] = make_msgid(domain="example.com")
    msg.set_content(
        "<html><head><style>p {color: red}</style><script>alert(1)</script></head><body>"
        "<p>Hello,</p><p>what are your opening hours?&nbsp;<b>Thanks</b></p></body></html>",
        subtype="html",
    )
    small, big, third = b"\x89PNG" + b"a" * 10_000, b"b" * 60_000, b"c" * 45_000
    msg.add_attachment(small, maintype="image", subtype="png", filename="../../etc/photo.png")
    msg.add_attachment(big, maintype="application", subtype="pdf", filename="invoice.pdf")
    msg.add_attachment(third, maintype="application", subtype="pdf", filename="receipt.pdf")
    msg.add_attachment(b"d" * 30_000, maintype="application", subtype="zip", filename="more.zip")
    smtp_send(email_server, msg)
    mail_sink.wait_for()  # still answered: the message is processed
    sup = staff_token(mail, "supervisor")
    [conv] = email_conversations(mail, sup)
    [said] = [
        m for m in conversation(mail, sup, conv["id"])["messages"] if m["author"] == "customer"
    ]
    assert said["text"] == "Hello,\nwhat are your opening hours? Thanks"
    meta = said["channel_meta"]["email"]
    assert meta["format"] == "html"
    by_name = {a["filename"]: a for a in meta["attachments"]}
    assert sorted(by_name) == ["invoice.pdf", "more.zip", "photo.png", "receipt.pdf"]
    assert by_name["invoice.pdf"]["status"] == "rejected"
    assert "per file" in by_name["invoice.pdf"]["reason"]
    assert by_name["more.zip"]["status"] == "rejected"
    assert "per message" in by_name["more.zip"]["reason"]
    data_dir = email_server.settings.data_dir.resolve()
    for name, content in (("photo.png", small), ("receipt.pdf", third)):
        stored = by_name[name]
        assert stored["status"] == "stored" and stored["size"] == len(content)
        path = (data_dir / stored["path"]).resolve()
        assert path.is_relative_to(data_dir / "email" / "attachments")
        on_disk = path.read_bytes()  # sealed with the key ring: nothing of the content shows
        assert on_disk.startswith(b"hybridcx-sealed-file/1:") and content[:64] not in on_disk
        assert len(on_disk) >= len(content) + 16  # the GCM tag
    assert "path" not in by_name["invoice.pdf"]
    # Staff download what was kept, always as a download; what was not kept is 404.
    base = f"/api/v1/conversations/{conv['id']}/messages/{said['id']}/attachments"
    r = mail.staff(sup, "GET", f"{base}/{by_name['photo.png']['id']}")
    assert r.status_code == 200 and r.content == small
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-disposition"].startswith("attachment;")
    assert 'filename="photo.png"' in r.headers["content-disposition"]
    assert mail.staff(sup, "GET", f"{base}/{by_name['invoice.pdf']['id']}").status_code == 404
    assert mail.staff(sup, "GET", f"{base}/nope").status_code == 404
    assert mail.http.get(f"{base}/{by_name['photo.png']['id']}").status_code == 401
    # A stored path that points outside the attachments folder is refused.
    email_server.call(_tamper_path(email_server, said["id"], "../../../etc/passwd"))
    assert mail.staff(sup, "GET", f"{base}/{by_name['photo.png']['id']}").status_code == 404


def test_a_customer_who_emails_and_then_texts_is_one_customer(
    email_server: LiveServer, mail: Api, mail_sink: MailSink
) -> None:
    from tests.channels.twilio_helpers import sms_params, sms_replies, twilio_post

    smtp_send(email_server, make_mail("What are your opening hours?"))
    mail_sink.wait_for()
    # Alex's record has the phone +12025550100: a text from it is the same customer.
    path = "/channels/sms/twilio"
    public = email_server.settings.public_url  # Twilio signs the public URL
    text = sms_params("+12025550100", "Where is my order 1001?")
    assert sms_replies(twilio_post(mail, path, text, signed_url=f"{public}{path}"))
    sup = staff_token(mail, "supervisor")
    items = mail.staff(sup, "GET", "/api/v1/conversations").json()["items"]
    by_channel = {c["channel"]: c for c in items}
    assert set(by_channel) == {"email", "sms"}
    assert by_channel["email"]["customer"]["id"] == by_channel["sms"]["customer"]["id"]
    assert by_channel["sms"]["customer"]["email"] == CUSTOMER


async def _tamper_path(server: LiveServer, message_id: str, path: str) -> None:
    from sqlalchemy import select

    from hybridcx.kit.db import transaction
    from hybridcx.models import Message

    async with transaction(server.runtime.sessions) as session:
        msg = (await session.execute(select(Message).where(Message.id == message_id))).scalar_one()
        meta = dict(msg.channel_meta or {})
        email = dict(meta["email"])
        email["attachments"] = [{**a, "path": path} for a in email["attachments"]]
        msg.channel_meta = {**meta, "email": email}


def test_a_reply_to_a_resolved_conversation_starts_a_new_one_in_the_same_thread(
    email_server: LiveServer, mail: Api, mail_sink: MailSink
) -> None:
    first = make_mail("I want to make a complaint.", subject="Complaint")
    smtp_send(email_server, first)
    sup = staff_token(mail, "supervisor")
    [conv] = email_conversations(mail, sup)
    assert mail.staff(sup, "POST", f"/api/v1/conversations/{conv['id']}/takeover").is_success
    r = mail.staff(
        sup, "POST", f"/api/v1/conversations/{conv['id']}/replies", json={"text": "Sorted."}
    )
    assert r.is_success
    ours = mail_sink.wait_for().message
    assert mail.staff(sup, "POST", f"/api/v1/conversations/{conv['id']}/resolve").is_success
    mail_sink.clear()
    later = make_mail(
        "What are your opening hours?", subject="Re: Complaint", in_reply_to=str(ours["Message-ID"])
    )
    smtp_send(email_server, later)
    answer = mail_sink.wait_for().message
    assert str(answer["In-Reply-To"]) == later["Message-ID"]
    convs = email_conversations(mail, sup)
    assert len(convs) == 2
    reopened = next(c for c in convs if c["id"] != conv["id"])
    assert reopened["status"] == "bot"
    assert reopened["customer"]["id"] == conv["customer"]["id"]


def test_email_send_command_writes_to_the_receiver(
    email_server: LiveServer, mail: Api, mail_sink: MailSink, tmp_path: Any
) -> None:
    from typer.testing import CliRunner

    from hybridcx.cli import app

    note = tmp_path / "receipt.txt"
    note.write_text("order 1001")
    args = ["channels", "email-send", "What are your opening hours?", "--from", CUSTOMER]
    args += ["--port", str(email_server.settings.smtp_inbound_port), "--to", SUPPORT]
    args += ["--subject", "Hours", "--attach", str(note)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"to {SUPPORT}" in result.output
    assert str(mail_sink.wait_for().message["Subject"]) == "Re: Hours"
    refused = CliRunner().invoke(
        app, [*args[:5], "--port", str(email_server.settings.smtp_inbound_port), "--to", "x@y.z"]
    )
    assert refused.exit_code == 1 and "550" in refused.output


def test_a_retried_mail_whose_first_delivery_never_finished_is_answered_once(
    email_server: LiveServer, mail: Api, mail_sink: MailSink
) -> None:
    """The first delivery stored the message and then died before answering (simulated by
    storing it without an AI turn, minutes ago); the sender's retry gets it answered."""
    from hybridcx.channels.ingest import ingest_inbound

    msg = make_mail("What are your opening hours?")
    first = email_server.call(
        ingest_inbound(
            email_server.runtime,
            channel="email",
            text="What are your opening hours?",
            email=CUSTOMER,
            external_id=msg["Message-ID"],
            thread_key=msg["Message-ID"],
            answer=False,
        )
    )
    email_server.call(_age_message(email_server, first.message_id, minutes=10))
    smtp_send(email_server, msg)
    reply = mail_sink.wait_for().message
    assert str(reply["In-Reply-To"]) == msg["Message-ID"]
    smtp_send(email_server, msg)  # and a further retry is a plain duplicate
    sup = staff_token(mail, "supervisor")
    [conv] = email_conversations(mail, sup)
    full = conversation(mail, sup, conv["id"])
    assert [m["author"] for m in full["messages"]].count("customer") == 1
    assert len(mail_sink.sent()) == 1


async def _age_message(server: LiveServer, message_id: str, *, minutes: int) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from hybridcx.kit.db import transaction
    from hybridcx.kit.ids import utcnow
    from hybridcx.models import Message

    async with transaction(server.runtime.sessions) as session:
        await session.execute(
            update(Message)
            .where(Message.id == message_id)
            .values(created_at=utcnow() - timedelta(minutes=minutes))
        )


def test_a_relay_that_refuses_is_recorded_and_nothing_is_lost(
    email_server: LiveServer, mail: Api, mail_sink: MailSink
) -> None:
    import dataclasses

    from hybridcx.channels.email.config import EmailConfig
    from hybridcx.channels.email.service import EmailChannel
    from hybridcx.channels.email.smtp import SmtpRelay
    from tests.support import free_port

    config = EmailConfig.from_settings(email_server.settings)
    assert config is not None
    down = dataclasses.replace(config, relay=SmtpRelay(host="127.0.0.1", port=free_port()))
    msg = make_mail("What are your opening hours?")
    outcome = email_server.call(EmailChannel(email_server.runtime, down).receive(msg.as_bytes()))
    assert outcome.status == "processed" and outcome.replied is False
    sup = staff_token(mail, "supervisor")
    full = conversation(mail, sup, outcome.conversation_id)
    ai = [m for m in full["messages"] if m["author"] == "ai"]
    assert ai and all(m["channel_meta"]["delivery"]["status"] == "failed" for m in ai)
    assert "SMTP relay 127.0.0.1" in ai[0]["channel_meta"]["delivery"]["error"]
    assert mail_sink.sent() == []


def test_with_tier1_auto_send_off_the_ai_answer_waits_as_a_draft(
    email_server: LiveServer, mail: Api, mail_sink: MailSink
) -> None:
    policy = email_server.settings.policy_dir / "default.yaml"
    policy.parent.mkdir(parents=True, exist_ok=True)
    policy.write_text("email:\n  auto_send_tier1: false\n")
    try:
        smtp_send(email_server, make_mail("What are your opening hours?"))
    finally:
        policy.unlink()
    assert mail_sink.sent() == []
    sup = staff_token(mail, "supervisor")
    [conv] = email_conversations(mail, sup)
    [draft] = mail.staff(sup, "GET", f"/api/v1/conversations/{conv['id']}/drafts").json()["items"]
    assert draft["status"] == "pending" and "Monday to Friday" in draft["text"]
