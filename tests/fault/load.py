"""A closed-loop customer load against two server processes, retrying as a load balancer would.

Each customer sends one message at a time with its own Idempotency-Key and waits for the
answer. A failed attempt (refused or dropped connection, timeout, 5xx, 409 "still being
answered") is sent again with the same key to the other process, after the server's
Retry-After (at most ``MAX_PAUSE``). Loopback only; bounded in customers, time and attempts.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

TEXTS = (
    "What are your opening hours?",
    "How do I reset my password?",
    "What is your return policy?",
    "Do you ship internationally?",
    "Where is my order?",
)
MAX_PAUSE = 0.5  # seconds between attempts at most, whatever Retry-After says
REQUEST_TIMEOUT = 15.0  # per attempt: a hang guard
MESSAGE_DEADLINE = 60.0  # per message: given up (and counted as failed) after this


@dataclass
class Sent:
    conversation_id: str
    key: str
    text: str
    answered: bool
    seconds: float
    attempts: int


@dataclass
class LoadReport:
    sent: list[Sent] = field(default_factory=list)
    conversations: list[str] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0

    @property
    def answered(self) -> list[Sent]:
        return [s for s in self.sent if s.answered]

    def percentile(self, q: float) -> float:
        times = sorted(s.seconds for s in self.answered)
        if not times:
            return 0.0
        return times[min(len(times) - 1, int(q * len(times)))]

    def summary(self) -> dict[str, Any]:
        answered = self.answered
        elapsed = max(self.ended - self.started, 1e-9)
        return {
            "answered": len(answered),
            "failed": len(self.sent) - len(answered),
            "msg_per_s": round(len(answered) / elapsed, 1),
            "p50_s": round(statistics.median([s.seconds for s in answered]), 3) if answered else 0,
            "p99_s": round(self.percentile(0.99), 3),
            "max_s": round(max((s.seconds for s in answered), default=0.0), 3),
            "retried": sum(1 for s in answered if s.attempts > 1),
        }


class Customer:
    def __init__(self, urls: list[str], index: int, report: LoadReport) -> None:
        self.urls = urls
        self.index = index
        self.turn = index % len(urls)  # which process this customer tries first
        self.report = report

    async def _attempt(
        self, client: httpx.AsyncClient, method: str, path: str, **kw: Any
    ) -> tuple[httpx.Response | None, float]:
        """One attempt on the current process; (response if it succeeded, pause before the
        next attempt). Moves to the other process on failure."""
        url = self.urls[self.turn]
        try:
            r = await client.request(method, url + path, timeout=REQUEST_TIMEOUT, **kw)
        except httpx.HTTPError:
            r = None
        if r is not None and r.status_code < 300:
            return r, 0.0
        if r is not None and r.status_code < 500 and r.status_code not in (409, 429):
            raise AssertionError(f"{method} {path}: {r.status_code} {r.text}")
        self.turn = (self.turn + 1) % len(self.urls)
        pause = 0.05
        if r is not None and r.headers.get("Retry-After", "").isdigit():
            pause = min(float(r.headers["Retry-After"]), MAX_PAUSE)
        return None, pause

    async def request(
        self, client: httpx.AsyncClient, method: str, path: str, **kw: Any
    ) -> tuple[httpx.Response | None, int]:
        deadline = time.monotonic() + MESSAGE_DEADLINE
        attempts = 0
        while time.monotonic() < deadline:
            attempts += 1
            r, pause = await self._attempt(client, method, path, **kw)
            if r is not None:
                return r, attempts
            await asyncio.sleep(pause)
        return None, attempts

    async def run(self, client: httpx.AsyncClient, until: float) -> None:
        r, _ = await self.request(
            client,
            "POST",
            "/api/v1/conversations",
            json={
                "channel": "webchat",
                "customer": {"email": f"fault{self.index}@example.com", "name": "Fault"},
            },
        )
        if r is None:
            raise AssertionError(f"customer {self.index} could not start a conversation")
        conv = r.json()
        self.report.conversations.append(conv["id"])
        auth = {"Authorization": f"Bearer {conv['customer_token']}"}
        n = 0
        while time.monotonic() < until:
            text = TEXTS[(self.index + n) % len(TEXTS)]
            key = f"fault-{uuid.uuid4()}"
            began = time.monotonic()
            r, attempts = await self.request(
                client,
                "POST",
                f"/api/v1/conversations/{conv['id']}/messages",
                json={"text": text},
                headers={**auth, "Idempotency-Key": key},
            )
            self.report.sent.append(
                Sent(conv["id"], key, text, r is not None, time.monotonic() - began, attempts)
            )
            n += 1


async def run_load(urls: list[str], *, customers: int, seconds: float, during: Any) -> LoadReport:
    """``customers`` in a closed loop for ``seconds`` while ``during()`` (a coroutine function:
    the fault) runs; the report once every customer's last message is answered or given up."""
    report = LoadReport(started=time.monotonic())
    until = report.started + seconds
    limits = httpx.Limits(max_connections=customers * 2, max_keepalive_connections=customers * 2)
    async with httpx.AsyncClient(limits=limits) as client:
        tasks = [
            asyncio.create_task(Customer(urls, i, report).run(client, until))
            for i in range(customers)
        ]
        await during()
        await asyncio.gather(*tasks)
    report.ended = time.monotonic()
    return report


@dataclass
class DeskWatch:
    """A supervisor's desk WebSocket through the whole run: the message ids it was told of,
    reconnecting after every drop with ``since=<last event id>`` as the desk does."""

    seen: set[str] = field(default_factory=set)
    event_ids: list[str] = field(default_factory=list)
    reconnects: int = 0
    replayed: int = 0
    connected: asyncio.Event = field(default_factory=asyncio.Event)


async def watch_desk(url: str, watch: DeskWatch, stop: asyncio.Event) -> None:
    import websockets

    async with httpx.AsyncClient() as client:
        token = ""
        while not token:
            try:
                r = await client.post(
                    f"{url}/api/v1/auth/token",
                    json={"email": "supervisor@example.com", "password": "demo-supervisor"},
                )
                token = r.json()["access_token"] if r.status_code == 200 else ""
            except httpx.HTTPError:
                pass
            if not token:
                await asyncio.sleep(0.5)
    ws_base = url.replace("http://", "ws://")
    last: str | None = None
    while not stop.is_set():
        since = f"&since={last}" if last else ""
        try:
            async with websockets.connect(f"{ws_base}/ws/agent?token={token}{since}") as ws:
                watch.connected.set()
                while not stop.is_set():
                    try:
                        raw = await asyncio.wait_for(ws.recv(), timeout=0.5)
                    except TimeoutError:
                        continue
                    event = json.loads(raw)
                    if event.get("type") == "resync" and event.get("since"):
                        last = event["since"]  # as common.js: resume before the interruption
                        continue
                    if event.get("type") == "replayed":
                        watch.replayed += int(event["count"])
                    event_id = event.get("event_id")
                    if isinstance(event_id, str):
                        watch.event_ids.append(event_id)
                        last = event_id if last is None or _after(event_id, last) else last
                    if event.get("type") == "message.created":
                        watch.seen.add(event["message"]["id"])
        except Exception:  # the process restarting, Redis or the database away: reconnect
            pass
        if not stop.is_set():
            watch.reconnects += 1
            await asyncio.sleep(0.5)


def _after(a: str, b: str) -> bool:
    ra, ia = (int(p) for p in a.split("-"))
    rb, ib = (int(p) for p in b.split("-"))
    return (ra, ia) > (rb, ib)
