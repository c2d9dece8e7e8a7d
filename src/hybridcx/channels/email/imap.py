"""Poll an IMAP mailbox (``HYBRIDCX_IMAP_URL``) for unread mail. Each message is fetched
without marking it (``BODY.PEEK[]``), processed, and only then flagged ``\\Seen``; a message
processed before a crash is recognised by its Message-ID the next time, so none is lost and
none is answered twice."""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import structlog

from hybridcx.channels.email.service import EmailChannel
from hybridcx.channels.email.smtp import tls_context
from hybridcx.kit.tasks import reraise_if_cancelled

log = structlog.get_logger(__name__)

# A message that fails this often is flagged seen anyway (and logged) so one bad mail cannot
# block the mailbox forever.
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class ImapMailbox:
    host: str
    port: int
    username: str
    password: str
    mailbox: str = "INBOX"
    tls: bool = True
    starttls: bool = False
    timeout: float = 30.0
    ca_file: str | None = None  # a private server's CA, trusted besides the system's

    @classmethod
    def from_url(cls, url: str, *, ca_file: str | None = None) -> ImapMailbox:
        """``imaps://user:pass@host[:993]/INBOX``; ``imap://`` is plain (``?starttls=1`` to
        upgrade). User and password are URL-encoded (``%40`` for an @ in a login)."""
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
            raise ValueError(
                "HYBRIDCX_IMAP_URL must look like imaps://user:password@host/INBOX; "
                f"got scheme {parts.scheme!r}"
            )
        tls = parts.scheme == "imaps"
        return cls(
            host=parts.hostname,
            port=parts.port or (993 if tls else 143),
            username=unquote(parts.username),
            password=unquote(parts.password or ""),
            mailbox=unquote(parts.path.lstrip("/")) or "INBOX",
            tls=tls,
            starttls=not tls and "starttls=1" in parts.query,
            ca_file=ca_file,
        )

    def connect(self) -> imaplib.IMAP4:
        conn: imaplib.IMAP4
        context = tls_context(self.ca_file)
        if self.tls:
            conn = imaplib.IMAP4_SSL(
                self.host, self.port, ssl_context=context, timeout=self.timeout
            )
        else:
            conn = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
            if self.starttls:
                conn.starttls(context)
        conn.login(self.username, self.password)
        typ, data = conn.select(_quote(self.mailbox))
        if typ != "OK":
            conn.logout()
            raise imaplib.IMAP4.error(f"cannot select {self.mailbox!r}: {data!r}")
        return conn


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fetch_unseen(conn: imaplib.IMAP4, limit: int) -> list[tuple[bytes, bytes]]:
    typ, data = conn.uid("SEARCH", None, "UNSEEN")  # type: ignore[arg-type]
    if typ != "OK":
        raise imaplib.IMAP4.error(f"UID SEARCH failed: {data!r}")
    uids = (data[0] or b"").split()[:limit]
    found: list[tuple[bytes, bytes]] = []
    for uid in uids:
        typ, parts = conn.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
        if typ != "OK":
            continue
        for part in parts:
            if isinstance(part, tuple) and len(part) == 2:
                found.append((uid, part[1]))
                break
    return found


def _mark_seen(conn: imaplib.IMAP4, uid: bytes) -> None:
    conn.uid("STORE", uid.decode(), "+FLAGS", "(\\Seen)")


class ImapPoller:
    def __init__(
        self, channel: EmailChannel, mailbox: ImapMailbox, *, interval: float, batch: int = 50
    ) -> None:
        self.channel = channel
        self.mailbox = mailbox
        self.interval = interval
        self.batch = batch
        self._failures: dict[bytes, int] = {}
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def poll_once(self) -> int:
        """Fetch and process the unread mail once; returns how many messages were handled."""
        async with self._lock:
            conn = await asyncio.to_thread(self.mailbox.connect)
            try:
                messages = await asyncio.to_thread(_fetch_unseen, conn, self.batch)
                handled = 0
                for uid, raw in messages:
                    try:
                        outcome = await self.channel.receive(raw, source="imap")
                    except Exception as exc:
                        attempts = self._failures.get(uid, 0) + 1
                        self._failures[uid] = attempts
                        log.error(
                            "email.imap_message_failed",
                            uid=uid.decode(),
                            attempts=attempts,
                            error=repr(exc),
                            exc_info=True,
                        )
                        if attempts < MAX_ATTEMPTS:
                            continue
                    else:
                        log.info("email.imap_message", uid=uid.decode(), status=outcome.status)
                    self._failures.pop(uid, None)
                    await asyncio.to_thread(_mark_seen, conn, uid)
                    handled += 1
                return handled
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(conn.logout)

    async def _run(self) -> None:
        while True:
            try:
                await self.poll_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the mailbox may be down; try again next round
                reraise_if_cancelled(exc)
                log.warning("email.imap_poll_failed", host=self.mailbox.host, error=repr(exc))
            await asyncio.sleep(self.interval)

    def start(self) -> ImapPoller:
        self._task = asyncio.get_running_loop().create_task(self._run())
        log.info("email.imap_polling", host=self.mailbox.host, mailbox=self.mailbox.mailbox)
        return self

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
