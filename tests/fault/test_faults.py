"""Fault tests: two real server processes on PostgreSQL + Redis, 24 customers in a closed loop,
and one fault in the middle: a process killed with SIGKILL and restarted, Redis away for 10 s,
PostgreSQL away for 6 s. Every answered message is stored exactly once, no answer lease is left
behind, and the latency stays under a generous hang guard. The figures are printed (run with
``-s``) for docs/operations.md:

    CI=true HYBRIDCX_TEST_POSTGRES_URL=... HYBRIDCX_TEST_REDIS_URL=... \\
        .venv/bin/python -m pytest -s -m slow tests/fault
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from hybridcx.kit.db import create_engine, session_factory
from hybridcx.kit.keys import load_keyring
from hybridcx.models import Message, ServerProcess
from tests.e2e.test_multiprocess import _prepare, _wait_healthy
from tests.fault.load import DeskWatch, LoadReport, run_load, watch_desk
from tests.support import IN_CI, POSTGRES_URL, REDIS_URL, free_port
from tests.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

CUSTOMERS = 24
#: The hang guard. The target (p99 <= 5 s through these faults) is a figure for the docs.
P99_GUARD_SECONDS = 25.0
#: After the load: how long the desk may take to hear of the last stored messages (a dead
#: process is presumed dead 6 s after its last beat, then the relay runs every 2 s).
DESK_CATCH_UP_SECONDS = 20.0


class Cluster:
    """Two ``hybridcx serve`` processes whose PostgreSQL and Redis go through cuttable proxies."""

    def __init__(self, tmp_path: Path, nlu_model_dir: Path) -> None:
        assert POSTGRES_URL and REDIS_URL
        pg = urlsplit(POSTGRES_URL)
        redis = urlsplit(REDIS_URL)
        self.pg_proxy = TcpProxy(pg.hostname or "127.0.0.1", pg.port or 5432).start()
        self.redis_proxy = TcpProxy(redis.hostname or "127.0.0.1", redis.port or 6379).start()
        self.tmp_path = tmp_path
        self.env = {
            **os.environ,
            "HYBRIDCX_DATA_DIR": str(tmp_path),
            "HYBRIDCX_DATABASE_URL": pg._replace(
                netloc=f"{pg.username}@127.0.0.1:{self.pg_proxy.port}"
            ).geturl(),
            "HYBRIDCX_REDIS_URL": redis._replace(
                netloc=f"127.0.0.1:{self.redis_proxy.port}"
            ).geturl(),
            "HYBRIDCX_NLU_MODEL_DIR": str(nlu_model_dir),
            # 24 customers share one loopback address
            "HYBRIDCX_RATE_LIMIT_PER_IP": "1000000",
            "HYBRIDCX_RATE_LIMIT_PER_TOKEN": "1000000",
            "HYBRIDCX_RATE_LIMIT_PER_CUSTOMER": "1000000",
            "HYBRIDCX_EXPERIMENTS_CHECK_SECONDS": "0",
            "HYBRIDCX_ANALYTICS_ROLLUP_INTERVAL_SECONDS": "0",
            "HYBRIDCX_LOG_LEVEL": "WARNING",
        }
        self.ports = [free_port(), free_port()]
        self.procs: list[subprocess.Popen[bytes] | None] = [None, None]
        self.logs: list[IO[bytes]] = []

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def start(self, i: int) -> None:
        log = (self.tmp_path / f"server{i}.log").open("ab")
        self.logs.append(log)
        proc = subprocess.Popen(
            [sys.executable, "-m", "hybridcx.cli", "serve", "--port", str(self.ports[i])],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.procs[i] = proc
        _wait_healthy(self.urls[i], proc)

    def kill(self, i: int) -> None:
        proc = self.procs[i]
        assert proc is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p is not None]

    def stop(self) -> None:
        for proc in self.procs:
            if proc is not None and proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            if proc is not None:
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        for log in self.logs:
            log.close()
        self.pg_proxy.cut()
        self.redis_proxy.cut()


@pytest.fixture
def cluster(tmp_path: Path, nlu_model_dir: Path) -> Iterator[Cluster]:
    if not (POSTGRES_URL and REDIS_URL):
        if IN_CI:
            pytest.fail("CI=true but HYBRIDCX_TEST_POSTGRES_URL/HYBRIDCX_TEST_REDIS_URL unset")
        pytest.skip("fault tests need HYBRIDCX_TEST_POSTGRES_URL and HYBRIDCX_TEST_REDIS_URL")
    asyncio.run(_prepare(POSTGRES_URL, tmp_path))
    c = Cluster(tmp_path, nlu_model_dir)
    try:
        c.start(0)
        c.start(1)
        yield c
    finally:
        c.stop()


async def _audit(report: LoadReport, data_dir: Path) -> dict[str, int]:
    """Straight from PostgreSQL (not through the proxies): what the customers were told was
    answered against what is stored."""
    assert POSTGRES_URL
    ring = load_keyring(keys=None, index_key=None, key_file=None, data_dir=data_dir)
    engine = create_engine(POSTGRES_URL, keyring=ring)
    sessions = session_factory(engine)
    try:
        async with sessions() as session:
            rows = (
                await session.execute(
                    select(Message).where(
                        Message.conversation_id.in_(report.conversations),
                        Message.author == "customer",
                    )
                )
            ).scalars()
            stored: dict[str, list[Message]] = {}
            for msg in rows:
                stored.setdefault(msg.idempotency_key or "", []).append(msg)
            per_turn = dict(
                (
                    await session.execute(
                        select(Message.turn_id, func.count())
                        .where(
                            Message.conversation_id.in_(report.conversations),
                            Message.author != "customer",
                            Message.turn_id.is_not(None),
                        )
                        .group_by(Message.turn_id)
                    )
                ).all()
            )
    finally:
        await engine.dispose()
    answered = report.answered
    lost = sum(
        1 for s in answered if not stored.get(s.key) or stored[s.key][0].turn_response is None
    )
    duplicated = sum(1 for s in answered if len(stored.get(s.key, [])) > 1)
    # A turn run twice would store its replies twice: more replies than its stored answer has.
    twice = 0
    for msgs in stored.values():
        msg = msgs[0]
        if msg.turn_response is not None:
            replies = len(msg.turn_response.get("messages", [])) - 1
            twice += int(per_turn.get(msg.id, 0) > replies)
    stuck = sum(
        1
        for msgs in stored.values()
        for m in msgs
        if m.turn_response is None and m.answering_at is not None
    )
    return {"lost": lost, "duplicated": duplicated, "answered_twice": twice, "stale_leases": stuck}


async def _own_process_rows(pids: list[int]) -> int:
    assert POSTGRES_URL
    engine = create_engine(POSTGRES_URL)
    try:
        async with engine.connect() as conn:
            stmt = select(func.count()).where(ServerProcess.pid.in_(pids))
            return int((await conn.execute(stmt)).scalar_one())
    finally:
        await engine.dispose()


async def _desk_missing(report: LoadReport, data_dir: Path, watch: DeskWatch) -> int:
    """Stored public messages of the run's conversations the desk was not told of."""
    assert POSTGRES_URL
    ring = load_keyring(keys=None, index_key=None, key_file=None, data_dir=data_dir)
    engine = create_engine(POSTGRES_URL, keyring=ring)
    try:
        async with engine.connect() as conn:
            ids = (
                await conn.execute(
                    select(Message.id).where(
                        Message.conversation_id.in_(report.conversations),
                        Message.internal.is_(False),
                    )
                )
            ).scalars()
            return sum(1 for i in ids if i not in watch.seen)
    finally:
        await engine.dispose()


async def _load_watched(
    cluster: Cluster, fault: Any, seconds: float = 20
) -> tuple[LoadReport, DeskWatch, int]:
    """The load with a supervisor's desk watching from the process that is not killed; once
    it is over, the desk must learn of every stored message within the relay's reach (a dead
    process's events after its heartbeat expires, a dropped socket's on its reconnect)."""
    watch, stop = DeskWatch(), asyncio.Event()
    desk = asyncio.create_task(watch_desk(cluster.urls[1], watch, stop))
    await asyncio.wait_for(watch.connected.wait(), timeout=30)
    report = await run_load(cluster.urls, customers=CUSTOMERS, seconds=seconds, during=fault)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DESK_CATCH_UP_SECONDS
    missing = await _desk_missing(report, cluster.tmp_path, watch)
    while missing and loop.time() < deadline:
        await asyncio.sleep(1)
        missing = await _desk_missing(report, cluster.tmp_path, watch)
    stop.set()
    await desk
    return report, watch, missing


def _check(
    name: str, report: LoadReport, cluster: Cluster, watched: tuple[DeskWatch, int] | None = None
) -> dict[str, Any]:
    figures: dict[str, Any] = {"fault": name, **report.summary()}
    figures.update(asyncio.run(_audit(report, cluster.tmp_path)))
    if watched is not None:
        watch, missing = watched
        figures.update(
            desk_missing=missing, desk_reconnects=watch.reconnects, desk_replayed=watch.replayed
        )
    print(f"\nFAULT {json.dumps(figures)}")
    if watched is not None:
        assert figures["desk_missing"] == 0, figures  # every event reaches the desk after recovery
    assert figures["answered"] > 0
    assert figures["failed"] == 0, figures
    assert figures["lost"] == 0, figures
    assert figures["duplicated"] == 0, figures
    assert figures["answered_twice"] == 0, figures
    assert figures["stale_leases"] == 0, figures
    assert figures["p99_s"] < P99_GUARD_SECONDS, figures
    return figures


def test_no_fault_baseline(cluster: Cluster) -> None:
    """The same load without a fault: what the figures below are compared with."""

    async def fault() -> None:
        return None

    report, watch, missing = asyncio.run(_load_watched(cluster, fault))
    _check("none (baseline)", report, cluster, (watch, missing))


def test_kill_9_one_process_mid_load_and_restart_it(cluster: Cluster) -> None:
    async def fault() -> None:
        await asyncio.sleep(4)
        cluster.kill(0)
        await asyncio.sleep(3)
        await asyncio.to_thread(cluster.start, 0)

    report, watch, missing = asyncio.run(_load_watched(cluster, fault))
    _check("kill -9 one of two processes, restarted", report, cluster, (watch, missing))
    # The restarted process beats; the killed one's row is left, presumed dead (never reused).
    assert asyncio.run(_own_process_rows(cluster.pids())) == 2


def test_redis_away_for_10_seconds(cluster: Cluster) -> None:
    async def fault() -> None:
        await asyncio.sleep(4)
        cluster.redis_proxy.cut()
        await asyncio.sleep(10)
        cluster.redis_proxy.start()

    report, watch, missing = asyncio.run(_load_watched(cluster, fault, seconds=22))
    _check("Redis away 10 s", report, cluster, (watch, missing))


#: How long PostgreSQL is away when it restarts: `pg_ctlcluster 15 <name> restart -m fast` on an
#: idle cluster took 2.9-3.3 s until it accepted connections again on this machine kind (three
#: restarts of a scratch cluster, 2026-12-07, load average about 10).
RESTART_SECONDS = 3


def test_postgres_restarts(cluster: Cluster) -> None:
    """The issue's fault: PostgreSQL restarts (as long as a restart takes here)."""

    async def fault() -> None:
        await asyncio.sleep(4)
        cluster.pg_proxy.cut()
        await asyncio.sleep(RESTART_SECONDS)
        cluster.pg_proxy.start()

    report = asyncio.run(run_load(cluster.urls, customers=CUSTOMERS, seconds=20, during=fault))
    _check(f"PostgreSQL restart (away {RESTART_SECONDS} s)", report, cluster)
    assert asyncio.run(_own_process_rows(cluster.pids())) == 2  # both beat again


def test_postgres_away_for_6_seconds(cluster: Cluster) -> None:
    """A longer outage than a restart: twice as long."""

    async def fault() -> None:
        await asyncio.sleep(4)
        cluster.pg_proxy.cut()
        await asyncio.sleep(6)
        cluster.pg_proxy.start()

    report = asyncio.run(run_load(cluster.urls, customers=CUSTOMERS, seconds=22, during=fault))
    _check("PostgreSQL away 6 s", report, cluster)
    assert asyncio.run(_own_process_rows(cluster.pids())) == 2  # both beat again
