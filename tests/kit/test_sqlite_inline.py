"""SQLite on the event loop's thread (kit.sqlite_inline): waiting for another process's lock
does not block the loop, heavy work runs in a thread, and both give the same answers."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from hybridcx.app import _heavy
from hybridcx.kit.db import create_engine, session_factory, transaction
from hybridcx.kit.sqlite_inline import offloaded


def _url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"


def test_waiting_for_another_process_lock_keeps_the_loop_running(tmp_path: Path) -> None:
    """Another process holds the write lock for 0.4 s: the transaction waits, then commits,
    and meanwhile the event loop keeps serving (a ticker task keeps ticking)."""
    path = tmp_path / "db.sqlite"
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE t (n INTEGER)")
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    threading.Timer(0.4, other.commit).start()

    async def scenario() -> tuple[int, int]:
        engine = create_engine(_url(tmp_path), busy_timeout_ms=5_000)
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        tick_task = asyncio.create_task(ticker())
        async with transaction(session_factory(engine)) as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))
        tick_task.cancel()
        async with session_factory(engine)() as session:
            n = (await session.execute(text("SELECT count(*) FROM t"))).scalar_one()
        await engine.dispose()
        return ticks, int(n)

    ticks, n = asyncio.run(scenario())
    other.close()
    setup.close()
    assert n == 1
    assert ticks >= 10  # the loop ran while the transaction waited (about 40 ticks)


@pytest.mark.parametrize("heavy", [False, True])
def test_offloaded_statements_run_in_a_worker_thread(tmp_path: Path, heavy: bool) -> None:
    async def scenario() -> tuple[int, int]:
        engine = create_engine(_url(tmp_path))

        @event.listens_for(engine.sync_engine, "connect")
        def _thread_id(dbapi_conn: Any, _record: object) -> None:
            dbapi_conn.create_function("thread_id", 0, threading.get_ident)

        async def ask() -> int:
            async with session_factory(engine)() as session:
                return int((await session.execute(text("SELECT thread_id()"))).scalar_one())

        if heavy:
            with offloaded():
                ran_in = await ask()
        else:
            ran_in = await ask()
        await engine.dispose()
        return ran_in, threading.get_ident()

    ran_in, loop_thread = asyncio.run(scenario())
    assert (ran_in != loop_thread) is heavy


@pytest.mark.parametrize(
    ("path", "heavy"),
    [
        ("/api/v1/analytics/kpis", True),
        ("/api/v1/audit", True),
        ("/api/v1/customers/abc/export", True),
        ("/api/v1/quality/scores", True),
        ("/api/v1/conversations/abc/messages", False),
        ("/api/v1/conversations", False),
        ("/api/v1/queue", False),
        ("/chat", False),
    ],
)
def test_which_requests_are_heavy(path: str, heavy: bool) -> None:
    assert _heavy(path) is heavy
