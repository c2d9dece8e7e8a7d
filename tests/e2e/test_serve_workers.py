"""`hybridcx serve --workers N`: several processes on one port, only on PostgreSQL + Redis."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from bench.load import DEFAULT_TEXTS, LoadConfig, load_texts, process_tree, run

from tests.support import IN_CI, POSTGRES_URL, REDIS_URL, free_port

HYBRIDCX = [sys.executable, "-m", "hybridcx.cli"]


def _serve(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HYBRIDCX, "serve", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_several_workers_are_refused_on_sqlite(tmp_path: Path) -> None:
    env = {"HYBRIDCX_DATA_DIR": str(tmp_path), "HYBRIDCX_DATABASE_URL": ""}
    result = _serve(["--workers", "2", "--port", str(free_port())], env)
    assert result.returncode == 2
    assert "--workers 2: several processes need PostgreSQL" in result.stderr
    assert "SQLite" in result.stderr
    assert not (tmp_path / "hybridcx.db").exists()  # refused before touching anything


def test_several_workers_are_refused_without_redis(tmp_path: Path) -> None:
    env = {
        "HYBRIDCX_DATA_DIR": str(tmp_path),
        "HYBRIDCX_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "HYBRIDCX_REDIS_URL": "",
    }
    result = _serve(["--workers", "2", "--port", str(free_port())], env)
    assert result.returncode == 2
    assert "several processes need Redis (HYBRIDCX_REDIS_URL)" in result.stderr


def test_workers_must_be_a_sensible_number(tmp_path: Path) -> None:
    result = _serve(["--workers", "0"], {"HYBRIDCX_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "--workers" in result.stderr


def test_one_process_or_several_never_trust_forwarded_headers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both ways of serving hand uvicorn the same options: the client address comes from
    HYBRIDCX_TRUSTED_PROXIES, never from X-Forwarded-For that uvicorn would believe."""
    import uvicorn

    from hybridcx import cli
    from hybridcx.config import Settings

    calls: list[dict[str, object]] = []
    apps: list[object] = []
    built: list[bool] = []

    def create_app(settings: Settings, *, settle_heap: bool = False) -> object:
        built.append(settle_heap)
        return object()

    monkeypatch.setattr(
        uvicorn, "run", lambda app, **options: (apps.append(app), calls.append(options))
    )
    monkeypatch.setattr("hybridcx.app.create_app", create_app)
    settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    cli._serve(settings, None, 8123)
    cli._serve(settings, None, 8123, workers=2)
    assert [c["proxy_headers"] for c in calls] == [False, False]
    assert [c["port"] for c in calls] == [8123, 8123]
    assert calls[1]["workers"] == 2 and calls[1]["factory"] is True
    # A served process settles its garbage collector (kit.heap); so does each worker, whose
    # app uvicorn builds with the server factory.
    assert built == [True]
    assert apps[1] == "hybridcx.app:create_server_app"
    assert (tmp_path / "keys.json").exists()  # made once, before the workers start


@pytest.mark.slow
@pytest.mark.timeout(300)  # two cold workers start slowly on a busy 2-core machine
def test_two_workers_share_one_port(tmp_path: Path, nlu_model_dir: Path) -> None:
    """Two worker processes answer on one port, and a short load run through it stores every
    message once."""
    if not (POSTGRES_URL and REDIS_URL):
        if IN_CI:
            pytest.fail("CI=true but HYBRIDCX_TEST_POSTGRES_URL/HYBRIDCX_TEST_REDIS_URL unset")
        pytest.skip("--workers needs HYBRIDCX_TEST_POSTGRES_URL and HYBRIDCX_TEST_REDIS_URL")
    asyncio.run(_prepare(POSTGRES_URL, tmp_path))
    port = free_port()
    env = {
        **os.environ,
        "HYBRIDCX_DATABASE_URL": POSTGRES_URL,
        "HYBRIDCX_REDIS_URL": REDIS_URL,
        "HYBRIDCX_DATA_DIR": str(tmp_path),
        "HYBRIDCX_NLU_MODEL_DIR": str(nlu_model_dir),
    }
    proc = subprocess.Popen(
        [*HYBRIDCX, "serve", "--workers", "2", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_workers(url, proc, workers=2)
        config = LoadConfig(
            urls=(url,),
            customers=8,
            messages=3,
            texts=load_texts(DEFAULT_TEXTS),
            server_pids=(proc.pid,),
        )
        report = asyncio.run(run(config))
        assert report.ok and report.non_2xx == {}
        assert report.acknowledged == 24 and report.lost == 0 and report.stored_twice == 0
        assert report.server_processes >= 3  # the supervisor and its two workers
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _wait_for_workers(url: str, proc: subprocess.Popen[bytes], *, workers: int) -> None:
    """Healthy, with the supervisor's worker processes up."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read().decode() if proc.stdout else ""
            raise AssertionError(f"serve --workers exited: {out}")
        try:
            healthy = httpx.get(f"{url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            healthy = False
        if healthy and len(process_tree([proc.pid])) > workers:
            return
        time.sleep(0.2)
    raise AssertionError(f"{url} did not come up with {workers} workers")


async def _prepare(url: str, data_dir: Path) -> None:
    from hybridcx.kit.db import create_engine, session_factory, upgrade
    from hybridcx.kit.keys import load_keyring
    from tests.support import reset_database

    # The workers read their encryption keys from the same data dir (keys.json).
    ring = load_keyring(keys=None, index_key=None, key_file=None, data_dir=data_dir)
    engine = create_engine(url, keyring=ring)
    try:
        await upgrade(engine)
        await reset_database(session_factory(engine))
    finally:
        await engine.dispose()
