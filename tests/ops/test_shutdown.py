"""Graceful shutdown: on SIGTERM a real server process closes its sockets with 1012 (service
restart: reconnect), answers late requests 503 ``restarting`` and exits, its heartbeat row gone."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.e2e.test_multiprocess import _prepare, _wait_healthy
from tests.support import Api, LiveServer, free_port, recv, settings_for


def test_sigterm_closes_sockets_with_1012_and_exits_cleanly(
    tmp_path: Path, nlu_model_dir: Path
) -> None:
    db = tmp_path / "hybridcx.db"
    asyncio.run(_prepare(f"sqlite+aiosqlite:///{db}", tmp_path))
    port = free_port()
    env = {
        **os.environ,
        "HYBRIDCX_DATA_DIR": str(tmp_path),
        "HYBRIDCX_DATABASE_URL": "",
        "HYBRIDCX_REDIS_URL": "",
        "HYBRIDCX_NLU_MODEL_DIR": str(nlu_model_dir),
        "HYBRIDCX_SHUTDOWN_TIMEOUT_SECONDS": "5",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "hybridcx.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    api = Api(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}")
    try:
        _wait_healthy(api.base_url, proc)
        conv = api.start()
        ws = api.customer_ws(conv)
        assert api.say(conv, "hello").status_code == 200
        assert _process_rows(db, proc.pid) == 1

        proc.send_signal(signal.SIGTERM)
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                recv(ws, timeout=15)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012
        proc.wait(timeout=30)  # a hang guard, far above the 5 s shutdown timeout
        # uvicorn re-raises the signal once it has shut down cleanly
        assert proc.returncode in (0, -signal.SIGTERM)
        assert _process_rows(db, proc.pid) == 0  # unregistered: its leases are free at once
    finally:
        api.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def _process_rows(db: Path, pid: int) -> int:
    with sqlite3.connect(db) as conn:
        (count,) = conn.execute("SELECT count(*) FROM server_processes WHERE pid = ?", (pid,))
        return int(count[0])


def test_a_stopping_server_answers_503_restarting(tmp_path: Path, nlu_model_dir: Path) -> None:
    live = LiveServer(settings_for("sqlite", tmp_path, nlu_model_dir=nlu_model_dir)).start()
    try:

        async def stop() -> None:
            live.runtime.stopping.set()

        live.call(stop())
        r = httpx.post(f"{live.url}/api/v1/conversations", json={}, timeout=10)
        assert r.status_code == 503
        assert r.json()["error"] == "restarting" and r.headers["Retry-After"] == "1"
        ready = httpx.get(f"{live.url}/readyz", timeout=10)
        assert ready.status_code == 503 and ready.json()["status"] == "restarting"
        assert httpx.get(f"{live.url}/healthz", timeout=10).status_code == 200  # still alive
    finally:
        live.stop()
