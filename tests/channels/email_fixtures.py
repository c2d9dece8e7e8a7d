"""Email channel fixtures: a live server with the built-in SMTP receiver on a free port and
outbound mail going to a local aiosmtpd sink that keeps every message it accepts."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support import LiveServer, free_port, settings_for

SUPPORT = "support@northwind.test"
MAX_ATTACHMENT = 50_000
MAX_TOTAL_ATTACHMENTS = 80_000


@dataclass
class Delivered:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class MailSink:
    """What our server sent out, as the receiving relay saw it."""

    port: int = 0
    messages: list[Delivered] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or envelope.content or b""
        assert isinstance(raw, bytes)
        msg = message_from_bytes(raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        with self.lock:
            self.messages.append(Delivered(str(envelope.mail_from), list(envelope.rcpt_tos), msg))
        return "250 OK"

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()

    def sent(self) -> list[Delivered]:
        with self.lock:
            return list(self.messages)

    def wait_for(
        self, predicate: Callable[[Delivered], bool] = lambda d: True, timeout: float = 15
    ) -> Delivered:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for d in self.sent():
                if predicate(d):
                    return d
            time.sleep(0.02)
        raise AssertionError(f"no matching mail within {timeout}s; got {self.sent()}")


@pytest.fixture(scope="session")
def mail_sink() -> Iterator[MailSink]:
    sink = MailSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()


@pytest.fixture(scope="session")
def email_server(
    server: LiveServer,
    mail_sink: MailSink,
    tmp_path_factory: pytest.TempPathFactory,
    nlu_model_dir: Path,
) -> Iterator[LiveServer]:
    """A second live server on the same database as ``server`` (so PostgreSQL is wiped once),
    started with the email settings: the receiver comes up with the app's lifespan."""
    backend = "postgres" if server.settings.database_url else "sqlite"
    settings = settings_for(
        backend,
        tmp_path_factory.mktemp(f"email-{backend}"),
        nlu_model_dir=nlu_model_dir,
        smtp_inbound_port=free_port(),
        smtp_url=f"smtp://127.0.0.1:{mail_sink.port}",
        support_email=SUPPORT,
        support_email_name="Northwind Support",
        public_url="https://cx.northwind.test",
        # the same Twilio settings as ``server``: a customer can move from email to SMS
        twilio_account_sid=server.settings.twilio_account_sid,
        twilio_auth_token=server.settings.twilio_auth_token,
        twilio_api_url=server.settings.twilio_api_url,
        email_max_attachment_bytes=MAX_ATTACHMENT,
        email_max_total_attachment_bytes=MAX_TOTAL_ATTACHMENTS,
    )
    live = LiveServer(settings).start()
    yield live
    live.stop()
