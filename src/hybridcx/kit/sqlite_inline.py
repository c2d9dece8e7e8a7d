"""SQLite for the async engine without a thread hop per statement.

SQLAlchemy's ``aiosqlite`` dialect sends every call (each statement, fetch, commit) to a
worker thread and waits for the answer through the event loop. A statement on a local SQLite
file takes tens of microseconds; the hop (a queue, a thread wake-up, a callback through the
loop's self-pipe, the GIL changing hands twice) costs more than that, and a customer message
makes about twenty such calls. This module gives the dialect a connection with aiosqlite's
interface that runs each call right away on the event loop's thread instead
(``create_async_engine(url, async_creator=...)``).

Waiting is the one thing that must not block the loop: SQLite's own busy handler would sleep
on the loop's thread while another connection holds the write lock, and that connection may
be waiting for the loop. So the connections use ``busy_timeout=0`` and a statement that finds
the database busy is tried again here after an ``asyncio.sleep``, until the configured busy
timeout has passed (the same total wait as SQLite's handler, then the same "database is
locked" error). ``SQLITE_BUSY_SNAPSHOT`` (a transaction whose snapshot went stale) is not
retried, as SQLite's handler does not retry it either.

A statement that takes long would hold up every other request on the loop, so work known to be
heavy (reports over many conversations, exports, the server's background jobs) runs inside
``offloaded()``: there each call goes to a worker thread, as with aiosqlite.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

#: SQLite's primary result code for "the database is locked by another connection".
SQLITE_BUSY = 5
#: The first and the longest pause between tries of a busy statement (seconds).
FIRST_PAUSE, LONGEST_PAUSE = 0.001, 0.05


_offload: ContextVar[bool] = ContextVar("hybridcx_sqlite_offload", default=False)


@contextmanager
def offloaded() -> Iterator[None]:
    """SQLite calls made in this context (and in tasks it creates) run in a worker thread."""
    token = _offload.set(True)
    try:
        yield
    finally:
        _offload.reset(token)


async def _run(call: Callable[[], Any]) -> Any:
    return await asyncio.to_thread(call) if _offload.get() else call()


async def _retrying(call: Callable[[], Any], busy_timeout: float, *, thread: bool = False) -> Any:
    """``call`` (in a worker thread when ``thread`` or offloaded), tried again while busy."""
    deadline: float | None = None
    pause = FIRST_PAUSE
    while True:
        try:
            return await (asyncio.to_thread(call) if thread else _run(call))
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", None) != SQLITE_BUSY:
                raise
            now = time.monotonic()
            deadline = deadline if deadline is not None else now + busy_timeout
            if now >= deadline:
                raise
            await asyncio.sleep(min(pause, deadline - now))
            pause = min(pause * 2, LONGEST_PAUSE)


class InlineCursor:
    """aiosqlite's Cursor interface over a sqlite3 cursor, run on the calling thread."""

    def __init__(self, cursor: sqlite3.Cursor, busy_timeout: float) -> None:
        self._cursor = cursor
        self._busy_timeout = busy_timeout

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        await _retrying(lambda: self._cursor.execute(sql, parameters), self._busy_timeout)
        return self

    async def executemany(self, sql: str, parameters: Any) -> InlineCursor:
        await _retrying(lambda: self._cursor.executemany(sql, parameters), self._busy_timeout)
        return self

    async def fetchone(self) -> Any:
        return await _run(self._cursor.fetchone)

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        n = size if size is not None else self._cursor.arraysize
        return await _run(lambda: self._cursor.fetchmany(n))  # type: ignore[no-any-return]

    async def fetchall(self) -> list[Any]:
        return await _run(self._cursor.fetchall)  # type: ignore[no-any-return]

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _RunNow:
    """Stands in for aiosqlite's queue to its worker thread: SQLAlchemy's adapter sets the
    isolation level by putting ``(future, function)`` on it."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except Exception as exc:
            if future is not None:
                future.set_exception(exc)
            return
        if future is not None:
            future.set_result(result)


class InlineConnection:
    """aiosqlite's Connection interface (the part SQLAlchemy uses) over a sqlite3 connection."""

    def __init__(self, conn: sqlite3.Connection, busy_timeout: float) -> None:
        self._connection: sqlite3.Connection | None = conn
        self._busy_timeout = busy_timeout
        self._tx = _RunNow()
        self._running = True

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor(), self._busy_timeout)

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        conn = self._conn
        if not conn.in_transaction:  # a read-only session never began one (lazy BEGIN)
            return
        # A write's commit waits for the disk (fsync with synchronous=FULL): in a worker
        # thread, so the loop serves other requests meanwhile. Only the transaction that
        # holds the write lock waits for it; the next writer waits for the lock either way.
        await _retrying(conn.commit, self._busy_timeout, thread=True)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self._running = False


def inline_creator(path: str, busy_timeout_ms: int) -> Callable[[], Awaitable[InlineConnection]]:
    """``async_creator`` for ``create_async_engine``: a connection to the file at ``path``."""

    async def connect() -> InlineConnection:
        # busy_timeout 0: SQLite answers "busy" at once and _retrying waits without blocking.
        conn = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
        return InlineConnection(conn, busy_timeout_ms / 1000)

    return connect
