"""Outbound mail and IMAP over TLS, with a throwaway CA trusted through HYBRIDCX_EMAIL_CA_FILE:
STARTTLS with login, implicit TLS (smtps), refusals, and IMAP with STARTTLS."""

from __future__ import annotations

import asyncio
import datetime as dt
import imaplib
import ipaddress
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from hybridcx.channels.base import DeliveryError
from hybridcx.channels.email.imap import ImapMailbox
from hybridcx.channels.email.smtp import SmtpRelay, compose
from tests.support import free_port

SUPPORT = "support@northwind.test"


@dataclass
class Pki:
    ca: Path
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    # OpenSSL checks validity against the machine's real clock, not the tests' frozen one
    # (tests/clock.py): a window wide enough for any test date and any real date.
    valid_from, valid_to = dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.datetime(2099, 12, 31)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hybridcx test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from)
        .not_valid_after(valid_to)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from)
        .not_valid_after(valid_to)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("pki")
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "server.pem").write_bytes(cert.public_bytes(pem))
    (folder / "server.key").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return Pki(folder / "ca.pem", folder / "server.pem", folder / "server.key")


@dataclass
class Inbox:
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"relay-user",
            b"s3cret:pw",
        )
        if isinstance(data, LoginPassword):
            self.logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=ok)


def a_mail() -> Any:
    return compose(
        sender=SUPPORT,
        sender_name="Support",
        to="alex@example.com",
        subject="Re: x",
        text="Over TLS.",
        in_reply_to=None,
        references=[],
        automatic=False,
    )


def send(relay: SmtpRelay) -> None:
    asyncio.run(relay.send(a_mail(), sender=SUPPORT, recipients=["alex@example.com"]))


def test_starttls_with_login_and_the_refusals(pki: Pki) -> None:
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=pki.server_context(),
        require_starttls=True,
        authenticator=inbox.authenticate,
        auth_required=True,
    )
    controller.start()
    try:
        url = f"smtp://relay-user:s3cret%3Apw@127.0.0.1:{port}"
        send(SmtpRelay.from_url(url, starttls=True, ca_file=str(pki.ca)))
        assert [(f, r) for f, r, _ in inbox.received] == [(SUPPORT, ["alex@example.com"])]
        assert b"Over TLS." in inbox.received[0][2]
        assert inbox.logins == [("relay-user", "s3cret:pw")]
        # The relay's certificate is checked: an unknown CA is refused.
        with pytest.raises(DeliveryError, match="CERTIFICATE_VERIFY_FAILED"):
            send(SmtpRelay.from_url(url, starttls=True))
        # Without STARTTLS the relay offers no AUTH, so the password is never sent in clear.
        with pytest.raises(DeliveryError, match="AUTH extension not supported"):
            send(SmtpRelay.from_url(url, starttls=False, ca_file=str(pki.ca)))
        assert len(inbox.received) == 1
    finally:
        controller.stop()


def test_smtps_implicit_tls(pki: Pki) -> None:
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, ssl_context=pki.server_context()
    )
    controller.start()
    try:
        send(SmtpRelay.from_url(f"smtps://127.0.0.1:{port}", ca_file=str(pki.ca)))
        assert len(inbox.received) == 1
    finally:
        controller.stop()


@pytest.fixture
def tls_imap(pki: Pki) -> Iterator[int]:
    port = free_port()
    exe = Path(sys.executable).with_name("pymap")
    proc = subprocess.Popen(
        [
            str(exe),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--cert",
            str(pki.cert),
            "--key",
            str(pki.key),
            "dict",
            "--demo-user",
            "support",
            "--demo-password",
            "pw",
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
                raise RuntimeError("pymap did not start") from None
            time.sleep(0.05)
    yield port
    proc.terminate()
    proc.wait(timeout=10)


def test_imap_starttls_checks_the_certificate(pki: Pki, tls_imap: int) -> None:
    url = f"imap://support:pw@127.0.0.1:{tls_imap}/INBOX?starttls=1"
    conn = ImapMailbox.from_url(url, ca_file=str(pki.ca)).connect()
    try:
        assert conn.uid("SEARCH", None, "ALL")[0] == "OK"  # type: ignore[arg-type]
    finally:
        conn.logout()
    with pytest.raises(ssl.SSLCertVerificationError):
        ImapMailbox.from_url(url).connect()
    with pytest.raises(imaplib.IMAP4.error):
        ImapMailbox.from_url(
            f"imap://support:wrong@127.0.0.1:{tls_imap}/INBOX?starttls=1", ca_file=str(pki.ca)
        ).connect()
