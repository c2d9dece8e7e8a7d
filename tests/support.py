"""Test helpers: a real server on a real port, a thin HTTP client, WebSocket helpers."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from websockets.sync.client import ClientConnection, connect

from hybridcx.app import create_app
from hybridcx.config import Settings
from hybridcx.demo.seed import seed_demo
from hybridcx.kit.db import transaction
from hybridcx.models import Base
from hybridcx.runtime import Runtime

POSTGRES_URL = os.environ.get("HYBRIDCX_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("HYBRIDCX_TEST_REDIS_URL")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POSTGRES_SKIP_REASON = (
    "PostgreSQL tests need HYBRIDCX_TEST_POSTGRES_URL (CI sets it; see DEVELOPERS.md)"
)
POSTGRES_MISSING_IN_CI = "CI=true but HYBRIDCX_TEST_POSTGRES_URL is not set"


def backend_params() -> list[Any]:
    """``sqlite``, and ``postgres`` (skipped without a URL, except in CI, where
    ``postgres_url()`` fails the test with a clear message)."""
    import pytest

    marks = [] if POSTGRES_URL or IN_CI else [pytest.mark.skip(reason=POSTGRES_SKIP_REASON)]
    return ["sqlite", pytest.param("postgres", marks=marks)]


def postgres_url() -> str:
    """The test PostgreSQL URL; a test that needs it fails (CI) or is skipped without it."""
    if POSTGRES_URL:
        return POSTGRES_URL
    if IN_CI:
        pytest.fail(POSTGRES_MISSING_IN_CI)
    pytest.skip(POSTGRES_SKIP_REASON)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """The real ASGI app under uvicorn, on a free port, in a background thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = free_port()
        self.app = create_app(settings)
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            ws="auto",
            proxy_headers=False,  # as `hybridcx serve`: HYBRIDCX_TRUSTED_PROXIES decides
        )
        self.server = uvicorn.Server(config)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.serve())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def runtime(self) -> Runtime:
        return self.app.state.runtime  # type: ignore[no-any-return]

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def call(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run a coroutine on the server's loop (its engine and bus live there)."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    def reset(self) -> None:
        # Agent assist rebuilt after the last test's answers must not read while tables are
        # emptied (on PostgreSQL, TRUNCATE and a reader locking tables in another order deadlock).
        self.call(self.runtime.assist_debouncer.drain())
        self.call(reset_database(self.runtime.sessions))


async def reset_database(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Empty every table and seed the demo company again."""
    from sqlalchemy.exc import DBAPIError

    for attempt in range(5):
        try:
            await _empty_tables(sessions)
            break
        except DBAPIError as exc:
            # A background reader of the last test (webhook worker, dispatch) can take table
            # locks in another order than TRUNCATE: PostgreSQL aborts one of the two. Retry.
            if "deadlock" not in str(exc) or attempt == 4:
                raise
            await asyncio.sleep(0.2 * (attempt + 1))
    async with transaction(sessions) as session:
        await seed_demo(session)


#: Not test data: the running servers' heartbeat rows (their answer leases name them).
KEEP = frozenset({"server_processes"})


async def _empty_tables(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with transaction(sessions) as session:
        if session.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
            names = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name not in KEEP)
            await session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                if table.name in KEEP or table.name == "audit_log":  # append-only: no DELETE
                    continue
                await session.execute(table.delete())


async def wipe_postgres(url: str) -> None:
    """Start the PostgreSQL run from an empty schema: the test database is shared with earlier
    runs (and CI runs on whatever a session left), so nothing stale may leak in."""
    from hybridcx.kit.db import create_engine

    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


async def own_postgres_database(suffix: str) -> str:
    """A database of its own next to the test database (dropped and created again), for a
    server whose background workers must not meet other test servers' workers: every server
    of the shared test database runs a webhook worker with the default retry policy."""
    from sqlalchemy.engine import make_url

    from hybridcx.kit.db import create_engine

    base = make_url(postgres_url())
    name = f"{base.database}_{suffix}"
    engine = create_engine(base.render_as_string(hide_password=False)).execution_options(
        isolation_level="AUTOCOMMIT"
    )
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def settings_for(backend: str, data_dir: Path, **overrides: Any) -> Settings:
    if "database_url" in overrides:
        url = overrides.pop("database_url")
    else:
        url = postgres_url() if backend == "postgres" else None
    # Test servers sign in from one address hundreds of times a minute; the sign-in limits
    # are exercised by tests/security/test_login_throttle.py with their own settings.
    overrides.setdefault("rate_limit_login_per_ip", 100_000)
    overrides.setdefault("redis_url", None)
    # Outreach on events: tests run outreach.events.process_events themselves.
    overrides.setdefault("outreach_events_interval_seconds", 0)
    return Settings(data_dir=data_dir, database_url=url, _env_file=None, **overrides)


@dataclass
class Api:
    """Thin client over the HTTP API, speaking exactly what a real client sends."""

    base_url: str
    ws_base: str
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.base_url, timeout=30)

    def close(self) -> None:
        self.http.close()

    def start(
        self, email: str = "alex@example.com", name: str = "Alex", **extra: Any
    ) -> dict[str, Any]:
        body = {"channel": "webchat", "customer": {"email": email, "name": name}, **extra}
        r = self.http.post("/api/v1/conversations", json=body)
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    def say(self, conv: dict[str, Any], text: str, **headers: str) -> httpx.Response:
        return self.http.post(
            f"/api/v1/conversations/{conv['id']}/messages",
            json={"text": text},
            headers={"Authorization": f"Bearer {conv['customer_token']}", **headers},
        )

    def login(self, email: str, password: str) -> str:
        r = self.http.post("/api/v1/auth/token", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        return r.json()["access_token"]  # type: ignore[no-any-return]

    def staff(self, token: str, method: str, path: str, **kw: Any) -> httpx.Response:
        return self.http.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kw)

    def customer_ws(self, conv: dict[str, Any]) -> ClientConnection:
        ws = connect(f"{self.ws_base}/ws/conversations/{conv['id']}?token={conv['customer_token']}")
        assert recv(ws)["type"] == "ready"
        return ws

    def agent_ws(self, token: str) -> ClientConnection:
        ws = connect(f"{self.ws_base}/ws/agent?token={token}")
        assert recv(ws)["type"] == "ready"
        return ws


def recv(ws: ClientConnection, timeout: float = 10) -> dict[str, Any]:
    return json.loads(ws.recv(timeout=timeout))  # type: ignore[no-any-return]


def read_events_until(
    ws: ClientConnection, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10
) -> list[dict[str, Any]]:
    """Every event up to and including the first that matches; fail with what was seen."""
    deadline = time.monotonic() + timeout
    seen: list[dict[str, Any]] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no matching event within {timeout}s; saw {seen}")
        try:
            event = recv(ws, timeout=remaining)
        except TimeoutError as exc:
            raise AssertionError(f"no matching event within {timeout}s; saw {seen}") from exc
        seen.append(event)
        if predicate(event):
            return seen


def recv_until(
    ws: ClientConnection, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10
) -> dict[str, Any]:
    """Read events until one matches; fail with what was seen if none does in time."""
    return read_events_until(ws, predicate, timeout)[-1]


def is_message(text_part: str, author: str | None = None) -> Callable[[dict[str, Any]], bool]:
    def match(event: dict[str, Any]) -> bool:
        if event.get("type") != "message.created":
            return False
        msg = event["message"]
        return text_part in msg["text"] and (author is None or msg["author"] == author)

    return match


def serve_http(handler: Any) -> Iterator[str]:
    """Run a ``BaseHTTPRequestHandler`` class on a free loopback port; yields its base URL
    (the local fakes of services these machines cannot reach use it)."""
    import threading
    from http.server import ThreadingHTTPServer

    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
