"""The email channel's pure parts: MIME parsing, HTML to text, quoted replies, loop detection,
attachment storage and reply composition."""

from __future__ import annotations

import asyncio
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from hybridcx.channels.base import DeliveryError
from hybridcx.channels.email.attachments import safe_filename, store_attachments
from hybridcx.channels.email.html import html_to_text
from hybridcx.channels.email.loops import classify
from hybridcx.channels.email.mime import Attachment, parse_email
from hybridcx.channels.email.quotes import strip_quoted
from hybridcx.channels.email.smtp import SmtpRelay, compose, reply_subject
from hybridcx.kit.keys import Keyring, generate_keyset
from hybridcx.privacy.files import read_sealed
from tests.support import free_port

SUPPORT = "support@northwind.test"


def mail(headers: dict[str, str], text: str = "Hello") -> EmailMessage:
    msg = EmailMessage()
    for k, v in headers.items():
        msg[k] = v
    msg.set_content(text)
    return msg


# ---- HTML ----------------------------------------------------------------------------------


def test_html_to_text_drops_active_content_and_keeps_structure() -> None:
    html = (
        "<html><head><title>t</title><style>.x{}</style></head><body>"
        "<script>document.write('evil')</script><p>Hi&nbsp;there &amp; <b>welcome</b></p>"
        "<ul><li>one</li><li>two</li></ul><a href='https://shop.example/track'>track it</a>"
        "<br/><img src='x.png' alt='logo'><p onclick='x()'>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
        "<table><tr><td>A</td><td>B</td></tr></table><pre>  keep\n  lines</pre></body></html>"
    )
    text = html_to_text(html)
    assert "evil" not in text and ".x{}" not in text and "\nt\n" not in text
    assert text.splitlines()[:4] == [
        "Hi there & welcome",
        "- one",
        "- two",
        "track it (https://shop.example/track)",
    ]
    assert "[logo]" in text
    assert "<script>alert(1)</script>" in text  # entities stay text, never markup
    assert "A B" in text
    assert "  keep\n  lines" in text


def test_html_blockquote_becomes_a_quote_that_is_stripped() -> None:
    html = (
        "<div>Yes, please book it.</div><div class='gmail_quote'><div>On Mon, 2 Nov 2026 at 10:00,"
        " Support &lt;support@northwind.test&gt; wrote:</div><blockquote>Shall I book Saturday?"
        "</blockquote></div>"
    )
    text = html_to_text(html)
    assert "> Shall I book Saturday?" in text
    assert strip_quoted(text) == "Yes, please book it."


# ---- quoted replies ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "Order 1001 please.\n\nOn Mon, 2 Nov 2026 at 10:00, Support <s@x.y> wrote:\n> hi",
            "Order 1001 please.",
        ),
        # Gmail wraps long attributions over two lines
        (
            "Yes\n\nOn Mon, 2 Nov 2026 at 10:00 Northwind Support <support@northwind.test>\nwrote:\n\n> q",
            "Yes",
        ),
        (
            "Thanks!\n\n-----Original Message-----\nFrom: Support\nSent: Monday\nTo: me\n\nold",
            "Thanks!",
        ),
        (
            "Fine.\n\n________________________________\nFrom: Support <s@x.y>\nSent: Monday, 2 November\nTo: Alex\nSubject: Re: x\n\nold",
            "Fine.",
        ),
        (
            "Sounds good\n\nFrom: Support <s@x.y>\nDate: Mon, 2 Nov 2026\nTo: Alex\nSubject: booking\n\nold",
            "Sounds good",
        ),
        ("Merci\n\nLe lun. 2 nov. 2026 à 10:00, Support <s@x.y> a écrit :\n> bonjour", "Merci"),
        ("Danke\n\nAm 02.11.2026 um 10:00 schrieb Support <s@x.y>:\n> hallo", "Danke"),
        (
            "My answer\n> their question\nmore of mine\n-- \nAlex Morgan\nACME Ltd",
            "My answer\nmore of mine",
        ),
        ("Book it\n\nSent from my iPhone", "Book it"),
        ("> only a quote", "> only a quote"),
        ("Line one\r\nLine two\r\n", "Line one\nLine two"),
    ],
)
def test_strip_quoted(body: str, expected: str) -> None:
    assert strip_quoted(body) == expected


# ---- loop detection ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        ({"Auto-Submitted": "auto-replied"}, "auto_reply"),
        ({"Auto-Submitted": "auto-generated"}, "auto_reply"),
        ({"X-Autoreply": "yes"}, "auto_reply"),
        ({"X-Autorespond": "Out of office"}, "auto_reply"),
        ({"Precedence": "bulk"}, "bulk"),
        ({"Precedence": "junk"}, "bulk"),
        ({"Precedence": "list"}, "bulk"),
        ({"List-Id": "<news.example.org>"}, "bulk"),
        ({"Return-Path": "<>"}, "bounce"),
        ({"From": "MAILER-DAEMON@mx.example.com"}, "bounce"),
        ({"From": "Postmaster <postmaster@example.com>"}, "bounce"),
        ({"From": f"Support <{SUPPORT.upper()}>"}, "own_message"),
        ({"X-Loop": SUPPORT}, "own_message"),
        ({"Subject": "Automatic reply: your order"}, "auto_reply"),
        ({"Subject": "Out of Office: back Monday"}, "auto_reply"),
    ],
)
def test_machine_mail_is_recognised(headers: dict[str, str], kind: str) -> None:
    base = {"From": "Alex <alex@example.com>", "To": SUPPORT, "Subject": "Hi"}
    msg = mail({**base, **headers})
    verdict = classify(msg, support_email=SUPPORT)
    assert verdict is not None and verdict.kind == kind, verdict


def test_delivery_report_and_null_sender_are_bounces_and_people_are_not() -> None:
    report = message_from_bytes(
        b"From: x@y.z\r\nContent-Type: multipart/report; report-type=delivery-status;"
        b" boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--b--\r\n",
        policy=policy.default,
    )
    assert isinstance(report, EmailMessage)
    assert classify(report, support_email=SUPPORT).kind == "bounce"  # type: ignore[union-attr]
    person = mail({"From": "Alex <alex@example.com>", "To": SUPPORT, "Subject": "Re: order"})
    assert classify(person, support_email=SUPPORT) is None
    assert classify(person, support_email=SUPPORT, envelope_sender="").kind == "bounce"  # type: ignore[union-attr]
    assert classify(mail({"From": "a@b.c", "Auto-Submitted": "no"}), support_email=SUPPORT) is None


# ---- MIME ----------------------------------------------------------------------------------


def test_parse_prefers_plain_and_collects_nested_attachments() -> None:
    inner = mail({"From": "old@example.com", "Subject": "forwarded"}, "old text")
    msg = mail(
        {
            "From": "Alex Morgan <Alex@Example.com>",
            "To": f"Support <{SUPPORT}>, other@example.com",
            "Cc": "boss@example.com",
            "Subject": "  Order 1001  ",
            "Message-ID": "<m2@example.com>",
            "In-Reply-To": "<ours1@northwind.test>",
            "References": "<root@example.com> <ours1@northwind.test>",
        },
        "Where is it?\n\nOn Mon, Support wrote:\n> soon",
    )
    msg.add_alternative("<p>Where is it?</p>", subtype="html")
    msg.add_attachment(b"%PDF-1", maintype="application", subtype="pdf", filename="inv.pdf")
    msg.add_attachment(inner)
    parsed = parse_email(msg.as_bytes())
    assert parsed.from_addr == "alex@example.com" and parsed.from_name == "Alex Morgan"
    assert parsed.to == [SUPPORT, "other@example.com"] and parsed.cc == ["boss@example.com"]
    assert parsed.subject == "Order 1001" and parsed.body_format == "plain"
    assert parsed.text == "Where is it?"
    assert parsed.message_id == "<m2@example.com>"
    assert parsed.thread_ids == ["<ours1@northwind.test>", "<root@example.com>"]
    names = [(a.filename, a.content_type) for a in parsed.attachments]
    assert names == [("inv.pdf", "application/pdf"), ("forwarded.eml", "message/rfc822")]
    assert b"old text" in parsed.attachments[1].data


def test_parse_survives_unknown_charsets_and_missing_headers() -> None:
    raw = (
        b"From: someone@example.com\r\nSubject: =?x-unknown?q?hi?=\r\n"
        b"Content-Type: text/plain; charset=x-unknown-charset\r\n\r\ncaf\xe9 au lait\r\n"
    )
    parsed = parse_email(raw)
    assert parsed.message_id is None and parsed.thread_ids == []
    assert parsed.text.startswith("caf") and "au lait" in parsed.text
    empty = parse_email(b"From: a@b.c\r\n\r\n")
    assert empty.text == "" and empty.body_format == "plain"


# ---- attachments ---------------------------------------------------------------------------


def test_safe_filename() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("..\\..\\boot.ini") == "boot.ini"
    assert safe_filename(".hidden") == "hidden"
    assert safe_filename("a\x00b\nc.txt") == "abc.txt"
    assert safe_filename("rm -rf $(x);.sh") == "rm -rf _(x)_.sh"
    assert safe_filename("") == "attachment"
    assert safe_filename("é" * 300 + ".pdf").endswith(".pdf")
    assert len(safe_filename("x" * 300)) == 120


def test_store_attachments_limits(tmp_path: Path) -> None:
    atts = [
        Attachment("a.txt", "text/plain", b"a" * 10),
        Attachment("big.bin", "application/octet-stream", b"b" * 101),
        Attachment("c.txt", "text/plain", b"c" * 60),
        Attachment("", "image/png", b"d" * 40),
    ]
    ring = Keyring(generate_keyset())
    root = tmp_path / "att"
    out = store_attachments(
        atts, root=root, data_dir=tmp_path, max_bytes=100, max_total_bytes=80, keyring=ring
    )
    assert [(m["filename"], m["status"]) for m in out] == [
        ("a.txt", "stored"),
        ("big.bin", "rejected"),
        ("c.txt", "stored"),
        ("attachment.png", "rejected"),
    ]
    path = tmp_path / out[0]["path"]
    assert b"a" * 10 not in path.read_bytes()  # sealed at rest
    assert read_sealed(ring, root, path) == b"a" * 10
    # Bound to its name: a sealed file moved to another attachment's place does not open.
    moved = root / "elsewhere" / "a.txt"
    moved.parent.mkdir()
    moved.write_bytes(path.read_bytes())
    with pytest.raises(InvalidTag):
        read_sealed(ring, root, moved)
    assert "per message" in out[3]["reason"] and "per file" in out[1]["reason"]


# ---- outbound ------------------------------------------------------------------------------


def test_compose_threads_the_reply() -> None:
    msg = compose(
        sender=SUPPORT,
        sender_name="Northwind Support",
        to="alex@example.com",
        subject=reply_subject("Order 1001"),
        text="It ships today.",
        in_reply_to="<c2@example.com>",
        references=["<c1@example.com>", "<s1@northwind.test>"],
        automatic=True,
    )
    assert msg["Subject"] == "Re: Order 1001"
    assert msg["In-Reply-To"] == "<c2@example.com>"
    assert msg["References"] == "<c1@example.com> <s1@northwind.test> <c2@example.com>"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert str(msg["Message-ID"]).endswith("@northwind.test>")
    assert reply_subject("RE: x") == "RE: x" and reply_subject("") == "Re: Your message"
    person = compose(
        sender=SUPPORT,
        sender_name="S",
        to="a@b.c",
        subject="Re: x",
        text="t",
        in_reply_to=None,
        references=[],
        automatic=False,
    )
    assert person["Auto-Submitted"] is None and person["In-Reply-To"] is None


def test_smtp_url_and_an_unreachable_relay() -> None:
    relay = SmtpRelay.from_url("smtp://user%40x:p%3Aw@mail.example.com:2525", starttls=True)
    assert (relay.host, relay.port, relay.username, relay.password) == (
        "mail.example.com",
        2525,
        "user@x",
        "p:w",
    )
    assert relay.starttls and not relay.implicit_tls
    tls = SmtpRelay.from_url("smtps://mail.example.com", starttls=True)
    assert tls.port == 465 and tls.implicit_tls and not tls.starttls
    with pytest.raises(ValueError, match="HYBRIDCX_SMTP_URL"):
        SmtpRelay.from_url("http://mail.example.com")
    closed = SmtpRelay(host="127.0.0.1", port=free_port(), timeout=5)
    msg = compose(
        sender=SUPPORT,
        sender_name="S",
        to="a@b.c",
        subject="x",
        text="t",
        in_reply_to=None,
        references=[],
        automatic=False,
    )
    with pytest.raises(DeliveryError, match="SMTP relay 127.0.0.1"):
        asyncio.run(closed.send(msg, sender=SUPPORT, recipients=["a@b.c"]))


def test_auto_send_needs_the_latest_intent_listed_and_no_request_for_a_person() -> None:
    from hybridcx.channels.email.service import _may_auto_send
    from hybridcx.models import Conversation

    def conv(intent: str | None, reasons: list[str]) -> Conversation:
        return Conversation(
            routing={"intent": intent, "reasons": reasons}, ai_state={"topic": "order_status"}
        )

    listed = ["order_status", "complaint"]
    assert _may_auto_send(conv("complaint", ["human_intent"]), listed)
    assert not _may_auto_send(conv("complaint", ["human_intent"]), [])
    # "agent" after an order question: the topic is listed, the latest intent is not
    assert not _may_auto_send(conv("human_agent", ["customer_request"]), listed)
    assert not _may_auto_send(conv("order_status", ["customer_request"]), listed)
    assert not _may_auto_send(conv("order_status", ["legal_compliance"]), listed)
    assert not _may_auto_send(conv(None, ["low_confidence"]), listed)
