"""The email channel end to end: real SMTP into the server's built-in receiver, the real AI
pipeline, and replies caught by a local SMTP sink."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest

from tests.channels.email_fixtures import SUPPORT, MailSink
from tests.support import Api, LiveServer

CUSTOMER = "alex@example.com"


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
    assert all(m["text"] in body for m in ai)
    assert len(mail_sink.sent()) == 1
