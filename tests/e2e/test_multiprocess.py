"""Two real server processes on one database and one Redis behave as one."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hybridcx.kit.db import create_engine, session_factory, upgrade
from hybridcx.kit.keys import load_keyring
from tests.support import (
    IN_CI,
    POSTGRES_URL,
    REDIS_URL,
    Api,
    free_port,
    is_message,
    recv_until,
    reset_database,
)

pytestmark = pytest.mark.slow


async def _prepare(url: str, data_dir: Path) -> None:
    # The servers below read their encryption keys from the same data dir (keys.json).
    ring = load_keyring(keys=None, index_key=None, key_file=None, data_dir=data_dir)
    engine = create_engine(url, keyring=ring)
    try:
        await upgrade(engine)
        await reset_database(session_factory(engine))
    finally:
        await engine.dispose()


def _wait_healthy(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"server exited: {proc.stdout.read().decode() if proc.stdout else ''}"
            )
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not become healthy")


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[Api, Api]]:
    if not REDIS_URL:
        if IN_CI:
            pytest.fail("CI=true but HYBRIDCX_TEST_REDIS_URL is not set")
        pytest.skip(
            "the two-process test needs Redis: set HYBRIDCX_TEST_REDIS_URL (see DEVELOPERS.md)"
        )
    db_url = POSTGRES_URL or f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    asyncio.run(_prepare(db_url, tmp_path))
    env = {
        **os.environ,
        "HYBRIDCX_DATABASE_URL": db_url,
        "HYBRIDCX_REDIS_URL": REDIS_URL,
        "HYBRIDCX_DATA_DIR": str(tmp_path),
    }
    procs, apis = [], []
    try:
        for _ in range(2):
            port = free_port()
            proc = subprocess.Popen(
                [sys.executable, "-m", "hybridcx.cli", "serve", "--port", str(port)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            procs.append(proc)
            _wait_healthy(f"http://127.0.0.1:{port}", proc)
            apis.append(Api(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"))
        yield apis[0], apis[1]
    finally:
        for api in apis:
            api.close()
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_live_events_cross_processes(two_servers: tuple[Api, Api]) -> None:
    a, b = two_servers
    conv = a.start("alex@example.com", "Alex")
    customer_ws = b.customer_ws(conv)  # held by process B
    token = b.login("agent@example.com", "demo-agent")
    desk = b.agent_ws(token)  # held by process B
    try:
        r = a.say(conv, "hello from process A")  # posted through process A
        assert r.status_code == 200
        recv_until(customer_ws, is_message("hello from process A", "customer"))
        recv_until(customer_ws, is_message("AI assistant", "ai"))
        recv_until(desk, is_message("hello from process A", "customer"))
        a.say(conv, "agent")
        recv_until(
            desk,
            lambda e: e["type"] == "conversation.queued" and e["conversation"]["id"] == conv["id"],
        )
        # An agent reply through A reaches the customer socket on B.
        agent_on_a = a.login("agent@example.com", "demo-agent")
        assert (
            a.staff(agent_on_a, "POST", f"/api/v1/conversations/{conv['id']}/accept").status_code
            == 200
        )
        a.staff(
            agent_on_a,
            "POST",
            f"/api/v1/conversations/{conv['id']}/replies",
            json={"text": "Hi from A"},
        )
        recv_until(customer_ws, is_message("Hi from A", "agent"))
    finally:
        customer_ws.close()
        desk.close()


def test_claims_are_exclusive_across_processes(two_servers: tuple[Api, Api]) -> None:
    a, b = two_servers
    for attempt in range(5):
        conv = a.start("jordan.reed@example.com", "Jordan")
        assert a.say(conv, "agent").json()["conversation"]["status"] == "queued"
        tokens = [
            a.login("agent@example.com", "demo-agent"),
            b.login("bob@example.com", "demo-agent"),
        ]
        codes = _race_accepts([(a, tokens[0]), (b, tokens[1])], conv["id"])
        assert sorted(codes) == [200, 409], f"attempt {attempt}: {codes}"


def _race_accepts(callers: list[tuple[Api, str]], conv_id: str) -> list[int]:
    """Fire one accept per (server, token) at the same moment; return the status codes."""
    barrier = threading.Barrier(len(callers))
    codes: list[int] = []

    def accept(api: Api, token: str) -> None:
        barrier.wait()
        codes.append(
            api.staff(token, "POST", f"/api/v1/conversations/{conv_id}/accept").status_code
        )

    threads = [threading.Thread(target=accept, args=caller) for caller in callers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return codes
