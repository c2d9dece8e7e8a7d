"""Load benchmark: simulated web-chat customers in a closed loop against running servers.

Each customer starts a web chat, then sends its messages one after another, each as soon as the
previous one is answered, with an Idempotency-Key; a 5xx, a 409 "still being answered" or a
dropped connection is retried with the same key (after Retry-After when the server sends one).
Afterwards every conversation is read back: each acknowledged message must be stored exactly
once. The run is bounded by the message count and by --duration.

    # the demo (SQLite, one process) in another terminal: make demo
    .venv/bin/python bench/load.py --customers 48 --messages 20 --duration 60
    # several processes, round-robin; CPU of the server processes and their children
    .venv/bin/python bench/load.py --url http://127.0.0.1:8001 --url http://127.0.0.1:8002 \\
        --server-pid 1234 --server-pid 1235
    # issue 22's check: 16 clients each start chats that ask for a person, 2,000 in all
    .venv/bin/python bench/load.py --mode handoff --clients 16 --conversations 2000

Only loopback servers are driven unless --allow-remote is given. The exit status is 1 when a
message was lost, stored twice or never acknowledged, 0 otherwise. The load generator shares
the machine with the server: on a small machine it costs the server some CPU (see the report's
client CPU line).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import ipaddress
import itertools
import json
import math
import os
import random
import resource
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

DEFAULT_TEXTS = Path(__file__).with_name("load_texts.csv")
HANDOFF_TEXT = "agent please"
MAX_CUSTOMERS = 2000
MAX_MESSAGES = 1000
MAX_CONVERSATIONS = 100_000
MAX_DURATION = 3600.0
MAX_RETRY_AFTER = 30.0
RETRIED_CLIENT_STATUSES = {409}  # "still being answered": the same key answers later


class BenchError(Exception):
    """A configuration the benchmark refuses, with a message for the person running it."""


@dataclass(frozen=True)
class Text:
    kind: str
    text: str


@dataclass(frozen=True)
class LoadConfig:
    urls: tuple[str, ...] = ("http://127.0.0.1:8000",)
    mode: str = "chat"  # chat | handoff
    customers: int = 48
    messages: int = 20
    warmup: int = 1
    duration: float = 60.0
    clients: int = 16
    conversations: int = 2000
    texts: tuple[Text, ...] = ()
    seed: int = 1
    retries: int = 20
    request_timeout: float = 30.0
    inbox: str | None = None
    server_pids: tuple[int, ...] = ()
    allow_remote: bool = False
    client: str = "aiohttp"  # aiohttp | httpx (real servers; in process it is always httpx)
    trace: Path | None = None  # chat mode: a CSV of every timed message (sent at, latency, kind)


@dataclass
class Report:
    mode: str
    urls: list[str]
    customers: int
    messages_per_customer: int
    acknowledged: int = 0
    failed: int = 0
    elapsed_seconds: float = 0.0
    messages_per_second: float = 0.0
    stopped_by: str = "count"
    latency: dict[str, float] = field(default_factory=dict)
    answered_attempt_latency: dict[str, float] = field(default_factory=dict)
    start_latency: dict[str, float] = field(default_factory=dict)
    #: chat mode: latency by the kind of text sent (the CSV's first column)
    latency_by_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    non_2xx: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    conversations: int = 0
    conversations_read: int = 0
    lost: int = 0
    stored_twice: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    server_cpu_seconds: float | None = None
    cpu_ms_per_message: float | None = None
    server_processes: int = 0
    client_cpu_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.stored_twice == 0 and self.failed == 0


# ---- inputs -------------------------------------------------------------------------------


def load_texts(path: Path) -> tuple[Text, ...]:
    """Rows of ``kind,text`` (a header row is optional); a one-column file is all questions."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = [row for row in csv.reader(fh) if row and any(c.strip() for c in row)]
    except OSError as exc:
        raise BenchError(f"cannot read --texts {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise BenchError(f"--texts {path} is not UTF-8 text") from exc
    if rows and [c.strip().lower() for c in rows[0][:2]] in (["kind", "text"], ["text"]):
        rows = rows[1:]
    texts = tuple(
        Text("question", row[0].strip()) if len(row) == 1 else Text(row[0].strip(), row[1].strip())
        for row in rows
    )
    texts = tuple(t for t in texts if t.text)
    if not texts:
        raise BenchError(f"--texts {path} holds no messages")
    return texts


def check_urls(urls: Sequence[str], *, allow_remote: bool) -> tuple[str, ...]:
    """Base URLs without a trailing slash; loopback only unless allowed."""
    if not urls:
        raise BenchError("give at least one --url")
    cleaned = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BenchError(f"--url {url!r} is not an http(s) URL such as http://127.0.0.1:8000")
        if not allow_remote and not _is_loopback(parts.hostname):
            raise BenchError(
                f"--url {url} is not a loopback address; this benchmark overloads the server it "
                "drives. Pass --allow-remote if that server is yours to overload."
            )
        cleaned.append(url.rstrip("/"))
    return tuple(cleaned)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_config(config: LoadConfig) -> None:
    check_urls(config.urls, allow_remote=config.allow_remote)
    bounds = [
        ("--customers", config.customers, 1, MAX_CUSTOMERS),
        ("--messages", config.messages, 1, MAX_MESSAGES),
        ("--warmup", config.warmup, 0, MAX_MESSAGES),
        ("--clients", config.clients, 1, MAX_CUSTOMERS),
        ("--conversations", config.conversations, 1, MAX_CONVERSATIONS),
        ("--retries", config.retries, 0, 100),
    ]
    for name, value, low, high in bounds:
        if not low <= value <= high:
            raise BenchError(f"{name} must be between {low} and {high}; got {value}")
    if not 0 < config.duration <= MAX_DURATION:
        raise BenchError(f"--duration must be over 0 and at most {MAX_DURATION:.0f} seconds")
    if config.mode not in ("chat", "handoff"):
        raise BenchError(f"--mode must be chat or handoff; got {config.mode!r}")
    if config.mode == "chat" and config.warmup + config.messages > len(config.texts):
        raise BenchError(
            f"each customer sends {config.warmup + config.messages} different texts, but the "
            f"texts file has {len(config.texts)}: lower --messages or give more texts"
        )


# ---- CPU of the server processes (Linux /proc) ---------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: split after its last ")".
    return raw[raw.rindex(")") + 2 :].split()


def process_tree(pids: Sequence[int]) -> list[int]:
    """The given processes and all their live descendants (uvicorn workers, `make demo`'s
    server under make)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))):
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    seen: list[int] = []
    todo = list(pids)
    while todo:
        pid = todo.pop()
        if pid not in seen and _stat_fields(pid) is not None:
            seen.append(pid)
            todo.extend(children.get(pid, []))
    return seen


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU seconds so far of these processes (all their threads)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---- the client -----------------------------------------------------------------------------


@dataclass
class Sent:
    """One message a customer sent: its key, and the stored message id once acknowledged."""

    key: str
    text: str
    message_id: str | None = None
    answered_in: float | None = None  # the attempt that got the 200, without earlier tries


@dataclass
class Chat:
    index: int
    email: str
    conversation_id: str = ""
    token: str = ""
    sent: list[Sent] = field(default_factory=list)


@dataclass
class Reply:
    """An HTTP response as the benchmark uses it, whichever client fetched it."""

    status_code: int
    headers: dict[str, str]  # names in lower case
    body: bytes
    elapsed: float  # seconds, this attempt alone

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    def json(self) -> Any:
        return json.loads(self.body)


class TransportFailure(Exception):
    """No HTTP response: the connection failed, was dropped or timed out."""


class HttpClient:
    """What the driver needs of an HTTP client (``request``, ``close``)."""

    async def request(
        self, method: str, url: str, *, json_body: Any = None, headers: dict[str, str]
    ) -> Reply:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class AiohttpClient(HttpClient):
    """aiohttp for real servers: about a sixth of httpx's CPU per request. On a 2-core machine
    the benchmark shares the cores with the server, so its own cost shows in the figures."""

    def __init__(self, connections: int, timeout: float) -> None:
        import aiohttp

        self._aiohttp = aiohttp
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=connections, force_close=False),
            timeout=aiohttp.ClientTimeout(total=timeout),
            json_serialize=json.dumps,
        )

    async def request(
        self, method: str, url: str, *, json_body: Any = None, headers: dict[str, str]
    ) -> Reply:
        started = time.perf_counter()
        try:
            async with self._session.request(
                method, url, json=json_body, headers=headers
            ) as response:
                body = await response.read()
                return Reply(
                    response.status,
                    {k.lower(): v for k, v in response.headers.items()},
                    body,
                    time.perf_counter() - started,
                )
        except (TimeoutError, self._aiohttp.ClientError) as exc:
            raise TransportFailure(type(exc).__name__) from exc

    async def close(self) -> None:
        await self._session.close()


class HttpxClient(HttpClient):
    """httpx, which can talk to an app in process (bench/turn_cost.py's ASGI transport)."""

    def __init__(
        self, connections: int, timeout: float, transport: httpx.AsyncBaseTransport | None
    ) -> None:
        self._client = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=None),
            timeout=httpx.Timeout(timeout),
            transport=transport,
        )

    async def request(
        self, method: str, url: str, *, json_body: Any = None, headers: dict[str, str]
    ) -> Reply:
        try:
            response = await self._client.request(method, url, json=json_body, headers=headers)
        except httpx.TransportError as exc:
            raise TransportFailure(type(exc).__name__) from exc
        return Reply(
            response.status_code,
            {k.lower(): v for k, v in response.headers.items()},
            response.content,
            response.elapsed.total_seconds(),
        )

    async def close(self) -> None:
        await self._client.aclose()


class Driver:
    """HTTP calls with retries, round-robin over the base URLs, and what they met."""

    def __init__(self, config: LoadConfig, client: HttpClient) -> None:
        self.config = config
        self.client = client
        self._next_url: Iterator[str] = itertools.cycle(config.urls)
        self.non_2xx: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.retries = 0

    async def call(
        self, method: str, path: str, *, json_body: Any = None, headers: dict[str, str]
    ) -> Reply | None:
        """The final response (2xx or a 4xx not worth retrying), or None when retries ran out."""
        for attempt in range(self.config.retries + 1):
            if attempt:
                self.retries += 1
            url = next(self._next_url) + path
            try:
                response = await self.client.request(
                    method, url, json_body=json_body, headers=headers
                )
            except TransportFailure as exc:
                self.non_2xx[str(exc)] += 1
                await asyncio.sleep(_backoff(attempt))
                continue
            self.statuses[str(response.status_code)] += 1
            if response.is_success:
                return response
            self.non_2xx[str(response.status_code)] += 1
            if response.status_code < 500 and response.status_code not in RETRIED_CLIENT_STATUSES:
                return response
            wait = _retry_after(response)
            # Retry-After is the earliest time to come back; spread the comebacks a little so
            # the customers turned away together do not all return in the same instant.
            await asyncio.sleep(wait * random.uniform(1.0, 1.2) if wait else _backoff(attempt))
        return None


def _backoff(attempt: int) -> float:
    return float(min(0.1 * 2**attempt, 5.0))


def _retry_after(response: Reply) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        return None


async def start_chat(driver: Driver, chat: Chat, inbox: str | None) -> float | None:
    """Start the customer's web chat; its latency in seconds, or None when it failed."""
    body: dict[str, Any] = {"channel": "webchat", "customer": {"email": chat.email}}
    if inbox:
        body["inbox"] = inbox
    started = time.perf_counter()
    response = await driver.call("POST", "/api/v1/conversations", json_body=body, headers={})
    if response is None or response.status_code != 201:
        return None
    data = response.json()
    chat.conversation_id, chat.token = data["id"], data["customer_token"]
    return time.perf_counter() - started


async def send_message(driver: Driver, chat: Chat, sent: Sent) -> float | None:
    """Send one message until acknowledged; its latency (retries included) or None."""
    chat.sent.append(sent)
    started = time.perf_counter()
    response = await driver.call(
        "POST",
        f"/api/v1/conversations/{chat.conversation_id}/messages",
        json_body={"text": sent.text},
        headers={"Authorization": f"Bearer {chat.token}", "Idempotency-Key": sent.key},
    )
    if response is None or response.status_code != 200:
        return None
    sent.message_id = response.json()["messages"][0]["id"]
    sent.answered_in = response.elapsed
    return time.perf_counter() - started


async def read_back(driver: Driver, chat: Chat) -> tuple[int, int] | None:
    """(lost, stored twice) for one conversation, or None if it could not be read."""
    response = await driver.call(
        "GET",
        f"/api/v1/conversations/{chat.conversation_id}",
        headers={"Authorization": f"Bearer {chat.token}"},
    )
    if response is None or response.status_code != 200:
        return None
    stored = [m["id"] for m in response.json()["messages"] if m["author"] == "customer"]
    counts = Counter(stored)
    acknowledged = {s.message_id for s in chat.sent if s.message_id}
    lost = sum(1 for mid in acknowledged if counts[mid] == 0)
    twice = sum(n - 1 for n in counts.values() if n > 1)
    # Every customer message here was sent by this run; a message never acknowledged may have
    # been stored once (its fate is unknown), anything beyond that is a duplicate.
    unacknowledged_sends = sum(1 for s in chat.sent if s.message_id is None)
    extra = sum(1 for mid in counts if mid not in acknowledged)
    twice += max(0, extra - unacknowledged_sends)
    return lost, twice


def percentiles(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def pick(q: float) -> float:
        # nearest rank: the smallest value with at least q of the values at or below it
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]

    return {
        "p50": round(pick(0.50), 4),
        "p95": round(pick(0.95), 4),
        "p99": round(pick(0.99), 4),
        "max": round(ordered[-1], 4),
        "mean": round(statistics.fmean(ordered), 4),
        "count": len(ordered),
    }


# ---- the two modes ------------------------------------------------------------------------


async def run(config: LoadConfig, transport: httpx.AsyncBaseTransport | None = None) -> Report:
    """Run the benchmark described by ``config`` against its (already running) servers.
    ``transport``: an in-process app instead of the network (bench/turn_cost.py; httpx)."""
    check_config(config)
    connections = max(config.customers, config.clients) + 8
    http: HttpClient
    if transport is not None or config.client == "httpx":
        http = HttpxClient(connections, config.request_timeout, transport)
    else:
        http = AiohttpClient(connections, config.request_timeout)
    try:
        await _check_servers(http, config.urls)
        driver = Driver(config, http)
        own_before = _own_cpu()
        if config.mode == "handoff":
            report = await _run_handoff(config, driver)
        else:
            report = await _run_chat(config, driver)
        report.client_cpu_seconds = round(_own_cpu() - own_before, 2)
    finally:
        await http.close()
    report.non_2xx = dict(driver.non_2xx)
    report.statuses = dict(driver.statuses)
    report.retries = driver.retries
    return report


async def _check_servers(client: HttpClient, urls: Sequence[str]) -> None:
    for url in urls:
        try:
            response = await client.request("GET", f"{url}/healthz", headers={})
        except TransportFailure as exc:
            raise BenchError(
                f"no server answers at {url} ({exc}); start one first, for example with `make demo`"
            ) from exc
        if response.status_code != 200:
            raise BenchError(f"{url}/healthz answered {response.status_code}, not 200")


async def _run_chat(config: LoadConfig, driver: Driver) -> Report:
    run_id = uuid.uuid4().hex[:8]
    rng = random.Random(config.seed)
    chats = [Chat(i, f"load-{run_id}-{i}@example.com") for i in range(config.customers)]
    plans = {c.index: rng.sample(config.texts, config.warmup + config.messages) for c in chats}
    report = Report("chat", list(config.urls), config.customers, config.messages)

    starts = await asyncio.gather(*(start_chat(driver, c, config.inbox) for c in chats))
    report.start_latency = percentiles([s for s in starts if s is not None])
    live = [c for c in chats if c.conversation_id]
    report.conversations = len(live)
    report.failed += config.customers - len(live)

    async def warm(chat: Chat) -> None:
        for n, text in enumerate(plans[chat.index][: config.warmup]):
            sent = Sent(f"{run_id}-{chat.index}-w{n}", text.text)
            if await send_message(driver, chat, sent) is None:
                report.failed += 1

    await asyncio.gather(*(warm(c) for c in live))

    latencies: list[float] = []
    attempts: list[float] = []
    by_kind: dict[str, list[float]] = {}
    trace: list[tuple[float, float, str]] = []  # (sent at, latency, kind), for --trace
    deadline = time.monotonic() + config.duration
    stopped = {"time": False}

    async def customer(chat: Chat) -> None:
        for n, text in enumerate(plans[chat.index][config.warmup :]):
            if time.monotonic() >= deadline:
                stopped["time"] = True
                return
            sent = Sent(f"{run_id}-{chat.index}-{n}", text.text)
            latency = await send_message(driver, chat, sent)
            if latency is None:
                report.failed += 1
            else:
                latencies.append(latency)
                attempts.append(sent.answered_in or 0.0)
                by_kind.setdefault(text.kind, []).append(latency)
                trace.append(
                    (round(time.perf_counter() - began - latency, 4), round(latency, 4), text.kind)
                )

    pids = process_tree(config.server_pids) if config.server_pids else []
    cpu_before = cpu_seconds(pids)
    began = time.perf_counter()
    await asyncio.gather(*(customer(c) for c in live))
    report.elapsed_seconds = round(time.perf_counter() - began, 2)
    if pids:
        pids_after = process_tree(config.server_pids)
        report.server_processes = len(pids_after)
        report.server_cpu_seconds = round(cpu_seconds(pids_after) - cpu_before, 2)
        if latencies:
            report.cpu_ms_per_message = round(1000 * report.server_cpu_seconds / len(latencies), 2)
    report.acknowledged = len(latencies)
    report.messages_per_second = round(len(latencies) / max(report.elapsed_seconds, 1e-9), 2)
    report.stopped_by = "time" if stopped["time"] else "count"
    report.latency = percentiles(latencies)
    report.answered_attempt_latency = percentiles(attempts)
    report.latency_by_kind = {k: percentiles(v) for k, v in sorted(by_kind.items())}
    if config.trace:
        config.trace.write_text(
            "sent_at_s,latency_s,kind\n" + "".join(f"{t},{lat},{k}\n" for t, lat, k in trace)
        )
    await _check_stored(driver, live, report)
    return report


async def _run_handoff(config: LoadConfig, driver: Driver) -> Report:
    run_id = uuid.uuid4().hex[:8]
    report = Report("handoff", list(config.urls), config.clients, 1)
    numbers = iter(range(config.conversations))
    chats: list[Chat] = []
    starts: list[float] = []
    latencies: list[float] = []
    attempts: list[float] = []
    deadline = time.monotonic() + config.duration
    stopped = {"time": False}

    async def client() -> None:
        for n in numbers:
            if time.monotonic() >= deadline:
                stopped["time"] = True
                return
            chat = Chat(n, f"handoff-{run_id}-{n}@example.com")
            start = await start_chat(driver, chat, config.inbox)
            if start is None:
                report.failed += 1
                continue
            starts.append(start)
            chats.append(chat)
            sent = Sent(f"{run_id}-{n}", HANDOFF_TEXT)
            latency = await send_message(driver, chat, sent)
            if latency is None:
                report.failed += 1
            else:
                latencies.append(latency)
                attempts.append(sent.answered_in or 0.0)

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(config.clients)))
    report.elapsed_seconds = round(time.perf_counter() - began, 2)
    report.conversations = len(chats)
    report.acknowledged = len(latencies)
    report.messages_per_second = round(len(latencies) / max(report.elapsed_seconds, 1e-9), 2)
    report.stopped_by = "time" if stopped["time"] else "count"
    report.latency = percentiles(latencies)
    report.answered_attempt_latency = percentiles(attempts)
    report.start_latency = percentiles(starts)
    await _check_stored(driver, chats, report)
    return report


async def _check_stored(driver: Driver, chats: Sequence[Chat], report: Report) -> None:
    semaphore = asyncio.Semaphore(16)

    async def one(chat: Chat) -> tuple[int, int] | None:
        async with semaphore:
            return await read_back(driver, chat)

    results = await asyncio.gather(*(one(c) for c in chats))
    for result in results:
        if result is not None:
            report.conversations_read += 1
            report.lost += result[0]
            report.stored_twice += result[1]


# ---- output -------------------------------------------------------------------------------


def _ms(stats: dict[str, float], key: str) -> str:
    return f"{1000 * stats[key]:.0f} ms" if key in stats else "-"


def format_report(report: Report) -> str:
    lines = []
    if report.mode == "chat":
        lines.append(
            f"{report.customers} customers x {report.messages_per_customer} messages against "
            f"{', '.join(report.urls)}"
        )
    else:
        lines.append(
            f"{report.customers} clients starting chats that ask for a person, against "
            f"{', '.join(report.urls)}"
        )
    lines.append(
        f"messages acknowledged: {report.acknowledged} in {report.elapsed_seconds} s = "
        f"{report.messages_per_second} messages/s (stopped by {report.stopped_by})"
    )
    lat = report.latency
    lines.append(
        f"POST .../messages: p50 {_ms(lat, 'p50')}  p95 {_ms(lat, 'p95')}  p99 {_ms(lat, 'p99')}"
        f"  max {_ms(lat, 'max')}  (retries included)"
    )
    for kind, klat in report.latency_by_kind.items():
        lines.append(
            f"  {kind} ({klat['count']:.0f}): p50 {_ms(klat, 'p50')}  p99 {_ms(klat, 'p99')}"
            f"  max {_ms(klat, 'max')}"
        )
    if report.retries:
        answered = report.answered_attempt_latency
        lines.append(
            f"  the answered attempt alone: p50 {_ms(answered, 'p50')}  "
            f"p99 {_ms(answered, 'p99')}  max {_ms(answered, 'max')}"
        )
    start = report.start_latency
    lines.append(
        f"POST /conversations ({report.conversations}): p50 {_ms(start, 'p50')}  "
        f"p99 {_ms(start, 'p99')}"
    )
    errors = ", ".join(f"{k}: {v}" for k, v in sorted(report.non_2xx.items())) or "none"
    lines.append(f"non-2xx responses: {errors}; retries: {report.retries}")
    lines.append(
        f"read back {report.conversations_read}/{report.conversations} conversations: "
        f"lost {report.lost}, stored twice {report.stored_twice}, "
        f"never acknowledged {report.failed}"
    )
    if report.server_cpu_seconds is not None:
        per = f"{report.cpu_ms_per_message} ms" if report.cpu_ms_per_message is not None else "-"
        lines.append(
            f"server CPU: {report.server_cpu_seconds} s over {report.server_processes} "
            f"process(es) = {per} per message"
        )
    lines.append(f"client CPU (this benchmark): {report.client_cpu_seconds} s")
    lines.append("OK" if report.ok else "FAILED: messages lost, duplicated or never acknowledged")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> tuple[LoadConfig, Path | None]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--url", action="append", help="server base URL (repeat for round-robin)")
    p.add_argument("--mode", choices=("chat", "handoff"), default="chat")
    p.add_argument("--customers", type=int, default=48, help="chat mode: concurrent customers")
    p.add_argument("--messages", type=int, default=20, help="chat mode: timed messages each")
    p.add_argument("--warmup", type=int, default=1, help="chat mode: untimed first messages")
    p.add_argument("--duration", type=float, default=60.0, help="stop sending after (s)")
    p.add_argument("--clients", type=int, default=16, help="handoff mode: concurrent clients")
    p.add_argument("--conversations", type=int, default=2000, help="handoff mode: in all")
    p.add_argument("--texts", type=Path, default=DEFAULT_TEXTS, help="CSV of kind,text")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--retries", type=int, default=20, help="per request, same Idempotency-Key")
    p.add_argument("--timeout", type=float, default=30.0, help="per request (s)")
    p.add_argument("--inbox", help="public inbox key (default: the default workspace's)")
    p.add_argument("--server-pid", type=int, action="append", default=[], help="for CPU/message")
    p.add_argument("--allow-remote", action="store_true", help="allow non-loopback URLs")
    p.add_argument("--json", type=Path, help="also write the report as JSON here")
    p.add_argument("--trace", type=Path, help="chat mode: every timed message to this CSV")
    p.add_argument(
        "--client",
        choices=("aiohttp", "httpx"),
        default="aiohttp",
        help="HTTP client (aiohttp costs the shared CPU less)",
    )
    a = p.parse_args(argv)
    config = LoadConfig(
        urls=check_urls(a.url or ["http://127.0.0.1:8000"], allow_remote=a.allow_remote),
        mode=a.mode,
        customers=a.customers,
        messages=a.messages,
        warmup=a.warmup,
        duration=a.duration,
        clients=a.clients,
        conversations=a.conversations,
        texts=load_texts(a.texts) if a.mode == "chat" else (),
        seed=a.seed,
        retries=a.retries,
        request_timeout=a.timeout,
        inbox=a.inbox,
        server_pids=tuple(a.server_pid),
        allow_remote=a.allow_remote,
        client=a.client,
        trace=a.trace,
    )
    return config, a.json


def main(argv: Sequence[str] | None = None) -> int:
    try:
        config, json_out = parse_args(argv)
        report = asyncio.run(run(config))
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(format_report(report))
    if json_out is not None:
        json_out.write_text(json.dumps({**asdict(report), "ok": report.ok}, indent=2) + "\n")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
