"""IMAP polling against a real IMAP4rev1 server (pymap's in-memory backend) on loopback: a
message is picked up once, answered, and flagged seen."""

from __future__ import annotations

import imaplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest

from hybridcx.channels.email import start_email
from hybridcx.channels.email.config import EmailConfig
from hybridcx.channels.email.imap import ImapMailbox, ImapPoller
from hybridcx.channels.email.service import EmailChannel
from tests.channels.email_fixtures import SUPPORT, MailSink
from tests.support import Api, LiveServer, free_port

USER, PASSWORD = "support", "imap-secret"


@pytest.fixture(scope="module")
def imap_port() -> Iterator[int]:
    port = free_port()
    exe = Path(sys.executable).with_name("pymap")
    proc = subprocess.Popen(
        [
            str(exe),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-tls",
            "dict",
            "--demo-user",
            USER,
            "--demo-password",
            PASSWORD,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"pymap did not start: {err}") from None
            time.sleep(0.05)
    yield port
    proc.terminate()
    proc.wait(timeout=10)


def imap_client(port: int) -> imaplib.IMAP4:
    client = imaplib.IMAP4("127.0.0.1", port, timeout=10)
    client.login(USER, PASSWORD)
    client.select("INBOX")
    return client


def deliver_to_mailbox(port: int, msg: EmailMessage) -> None:
    client = imap_client(port)
    try:
        typ, _ = client.append(
            "INBOX", None, imaplib.Time2Internaldate(time.time()), msg.as_bytes()
        )
        assert typ == "OK"
    finally:
        client.logout()


def unseen(port: int) -> list[bytes]:
    client = imap_client(port)
    try:
        return client.uid("SEARCH", None, "UNSEEN")[1][0].split()  # type: ignore[arg-type]
    finally:
        client.logout()


def customer_mail(text: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Alex Morgan <alex@example.com>"
    msg["To"] = SUPPORT
    msg["Subject"] = "Hours"
    msg["Message-ID"] = make_msgid(domain="example.com")
    msg.set_content(text)
    return msg


def email_conversations(api: Api) -> list[dict[str, Any]]:
    token = api.login("supervisor@example.com", "demo-supervisor")
    items = api.staff(token, "GET", "/api/v1/conversations").json()["items"]
    out = []
    for c in items:
        if c["channel"] == "email":
            out.append(api.staff(token, "GET", f"/api/v1/conversations/{c['id']}").json())
    return out


@pytest.fixture
def fresh(email_server: LiveServer, mail_sink: MailSink) -> Iterator[Api]:
    email_server.reset()
    mail_sink.clear()
    client = Api(email_server.url, email_server.ws_url)
    yield client
    client.close()


def test_imap_url_parsing() -> None:
    box = ImapMailbox.from_url(
        "imaps://support%40northwind.test:p%2Fw@imap.example.com/Support%20Inbox"
    )
    assert (box.host, box.port, box.tls, box.username, box.password, box.mailbox) == (
        "imap.example.com",
        993,
        True,
        "support@northwind.test",
        "p/w",
        "Support Inbox",
    )
    plain = ImapMailbox.from_url("imap://u:p@127.0.0.1:1143?starttls=1")
    assert (plain.port, plain.tls, plain.starttls, plain.mailbox) == (1143, False, True, "INBOX")
    with pytest.raises(ValueError, match="HYBRIDCX_IMAP_URL"):
        ImapMailbox.from_url("http://example.com")


def test_polling_picks_up_a_message_once(
    email_server: LiveServer, fresh: Api, mail_sink: MailSink, imap_port: int
) -> None:
    config = EmailConfig.from_settings(email_server.settings)
    assert config is not None
    mailbox = ImapMailbox.from_url(f"imap://{USER}:{PASSWORD}@127.0.0.1:{imap_port}/INBOX")
    poller = ImapPoller(EmailChannel(email_server.runtime, config), mailbox, interval=60)
    msg = customer_mail("What are your opening hours?")
    deliver_to_mailbox(imap_port, msg)
    assert len(unseen(imap_port)) == 1
    assert email_server.call(poller.poll_once()) == 1
    assert unseen(imap_port) == []  # flagged \Seen after processing
    reply = mail_sink.wait_for().message
    assert str(reply["In-Reply-To"]) == msg["Message-ID"]
    assert email_server.call(poller.poll_once()) == 0
    # Even if the flag is lost (another client marks it unread), the Message-ID dedupes it.
    client = imap_client(imap_port)
    try:
        uid = client.uid("SEARCH", None, "ALL")[1][0].split()[-1]  # type: ignore[arg-type]
        client.uid("STORE", uid.decode(), "-FLAGS", "(\\Seen)")
    finally:
        client.logout()
    assert email_server.call(poller.poll_once()) == 1
    [conv] = email_conversations(fresh)
    said = [m for m in conv["messages"] if m["author"] == "customer"]
    assert [m["text"] for m in said] == ["What are your opening hours?"]
    assert said[0]["channel_meta"]["email"]["source"] == "imap"
    assert len(mail_sink.sent()) == 1


def test_start_email_runs_the_poller_from_the_settings(
    email_server: LiveServer, fresh: Api, mail_sink: MailSink, imap_port: int
) -> None:
    settings = email_server.settings.model_copy(
        update={
            "smtp_inbound_port": None,
            "imap_url": f"imap://{USER}:{PASSWORD}@127.0.0.1:{imap_port}/INBOX",
            "imap_poll_seconds": 0.2,
        }
    )
    services = email_server.call(start_email(email_server.runtime, settings))
    try:
        assert services is not None and services.poller is not None and services.receiver is None
        deliver_to_mailbox(imap_port, customer_mail("What are your opening hours?"))
        mail_sink.wait_for()
    finally:
        email_server.call(services.stop())
    [conv] = email_conversations(fresh)
    assert conv["channel"] == "email"
