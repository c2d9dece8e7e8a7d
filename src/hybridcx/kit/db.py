"""Database engine, sessions and migrations."""

from __future__ import annotations

import asyncio
import functools
import traceback
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from hybridcx.kit.errors import Busy
from hybridcx.kit.keys import Keyring
from hybridcx.kit.outbox import current_session, write_pending
from hybridcx.kit.sealed import attach_keyring
from hybridcx.kit.sqlite_inline import inline_creator

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_engine(
    url: str,
    *,
    keyring: Keyring | None = None,
    busy_timeout_ms: int = 30_000,
    sqlite_inline: bool = True,
    sqlite_synchronous: str = "full",
    connect_timeout: float = 5.0,
    pool_size: int = 24,
    max_overflow: int = 8,
) -> AsyncEngine:
    """``keyring`` seals and opens the encrypted columns (hybridcx.privacy); without one the
    process default is used (the CLI installs it from the settings). ``busy_timeout_ms`` is how
    long SQLite waits for another process's write lock before an attempt counts as busy.
    ``sqlite_inline``: run SQLite calls on the event loop's thread (kit.sqlite_inline) instead
    of aiosqlite's worker thread; an in-memory database always uses aiosqlite.
    ``sqlite_synchronous``: "full" (every commit waits for fsync) or "normal" (WAL commits do
    not wait for fsync; a power cut may lose the last commits, never consistency).
    ``connect_timeout``: PostgreSQL, seconds to open a connection."""
    if url.startswith("sqlite"):
        db_path = url.split(":///", 1)[-1]
        file_db = bool(db_path) and db_path != ":memory:"
        if file_db:
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        if file_db and sqlite_inline:
            engine = create_async_engine(
                url, async_creator=inline_creator(db_path, busy_timeout_ms)
            )
            pragma_timeout_ms = 0  # busy statements are retried without blocking the loop
        else:
            engine = create_async_engine(url, connect_args={"timeout": busy_timeout_ms / 1000})
            pragma_timeout_ms = busy_timeout_ms
        event.listen(
            engine.sync_engine,
            "connect",
            functools.partial(_sqlite_pragmas, pragma_timeout_ms, _synchronous(sqlite_synchronous)),
        )
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        event.listen(engine.sync_engine, "before_cursor_execute", _sqlite_lazy_begin)
        event.listen(engine.sync_engine, "commit", _sqlite_ended)
        event.listen(engine.sync_engine, "rollback", _sqlite_ended)
    else:
        # No pool_pre_ping: with asyncpg it is three round trips (BEGIN, a ping, ROLLBACK) per
        # checkout, on every request. A connection a database restart broke fails its first
        # statement instead; SQLAlchemy sees the disconnect and invalidates the whole pool, so
        # that request answers 503 and the next ones get new connections. The connect timeout
        # (asyncpg's default is 60 s) and pool timeout make a database that is away a quick 503.
        engine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=max(connect_timeout, 10.0),
            connect_args={"timeout": connect_timeout},
        )
    if keyring is not None:
        attach_keyring(engine, keyring)
    return engine


#: Execution option that makes a SQLite transaction take the write lock when it begins.
WRITE = "hybridcx_write"
#: How often a write transaction that found the database busy starts again before it gives up
#: with 503 (each attempt has already waited out SQLite's busy_timeout).
BUSY_RETRIES = 3


def _synchronous(value: str) -> str:
    mode = value.strip().upper()
    if mode not in ("NORMAL", "FULL"):
        raise ValueError(f"sqlite_synchronous must be 'normal' or 'full', not {value!r}")
    return mode


def _sqlite_pragmas(
    busy_timeout_ms: int, synchronous: str, dbapi_conn: Any, _record: object
) -> None:
    # The driver must not open transactions on its own: _sqlite_begin chooses how each begins.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    # WAL lets readers and one writer work together, which matters with several processes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # In WAL mode NORMAL syncs at checkpoints only; FULL at every commit.
    cursor.execute(f"PRAGMA synchronous={synchronous}")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    # Privacy: deleted rows (erasure, retention) are overwritten, not left in free pages.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    """Write transactions begin IMMEDIATE; the others begin only at their first write.

    In WAL mode a transaction that has read and then writes fails at once with "database is
    locked" if another connection committed in between: SQLite cannot move its snapshot, and
    the busy handler is not consulted. BEGIN IMMEDIATE (``transaction()``) takes the write lock
    before the first read, waiting (busy_timeout) for it instead. Other sessions read outside
    any transaction, so they never hold a snapshot or wait for a writer; should one write, its
    transaction begins right before that first write (as Python's sqlite3 module does by
    default), where SQLite can still wait for the lock."""
    if conn.get_execution_options().get(WRITE, False):
        conn.info.pop(_LAZY, None)
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.info[_LAZY] = True


_LAZY = "hybridcx_begin_at_first_write"
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _sqlite_lazy_begin(conn: Connection, cursor: Any, statement: str, *_args: object) -> None:
    if conn.info.get(_LAZY) and statement.lstrip()[:7].upper().startswith(_WRITES):
        conn.info[_LAZY] = False
        cursor.execute("BEGIN")


def _sqlite_ended(conn: Connection) -> None:
    conn.info.pop(_LAZY, None)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


# One writer at a time per SQLite database in this process. Waiting here costs nothing (no
# connection, no thread); waiting in SQLite's busy handler sleeps in steps of up to 100 ms and
# holds a pooled connection, so many concurrent turns would starve the pool.
_write_locks: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()
# The task holding a database's write lock (a transaction nested in the same task skips it).
_holder: ContextVar[dict[int, asyncio.Task[Any] | None] | None] = ContextVar(
    "hybridcx_write_holder", default=None
)


def _is_sqlite(factory: async_sessionmaker[AsyncSession]) -> Any:
    bind = factory.kw.get("bind")
    engine = getattr(bind, "sync_engine", None)
    return engine if engine is not None and engine.dialect.name == "sqlite" else None


def _is_busy(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "database is locked" in text or "database is busy" in text


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits on success, rolls back on error. The live events outboxes
    collect inside it are written by it, right before the commit (kit.outbox).

        On SQLite it begins IMMEDIATE (see _sqlite_begin) after this process's other writers are
        done, and a database that stays busy (another process) is retried, then answered 503."""
    engine = _is_sqlite(factory)
    if engine is None:
        async with factory() as session, session.begin():
            in_transaction = current_session.set(session)
            try:
                yield session
                await write_pending(session)  # the live events, in this transaction
            finally:
                current_session.reset(in_transaction)
        return
    task = asyncio.current_task()
    holders = _holder.get() or {}
    if holders.get(id(engine)) is task:  # nested in this task's own write transaction
        async with _sqlite_write(factory) as session:
            yield session
        return
    lock = _write_locks.setdefault(engine, asyncio.Lock())
    async with lock:
        token = _holder.set({**holders, id(engine): task})
        try:
            async with _sqlite_write(factory) as session:
                yield session
        finally:
            _holder.reset(token)


@asynccontextmanager
async def _sqlite_write(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with factory() as session:
        for attempt in range(BUSY_RETRIES + 1):
            try:
                await session.connection(execution_options={WRITE: True})
                break
            except OperationalError as exc:
                await session.rollback()
                if not _is_busy(exc):
                    raise
                if attempt == BUSY_RETRIES:
                    raise Busy("The database is busy; retry in a moment.") from exc
                await asyncio.sleep(0.05 * (attempt + 1))
        in_transaction = current_session.set(session)
        try:
            yield session
            await write_pending(session)  # the live events, in this transaction
        except BaseException:
            await session.rollback()
            raise
        finally:
            current_session.reset(in_transaction)
        await session.commit()


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def _upgrade(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    if connection.dialect.name == "sqlite":
        # SQLite changes a table by rebuilding it (copy, DROP, rename); with foreign keys on,
        # dropping a table other rows reference fails. Off for the migrations (it only takes
        # effect outside a transaction, hence the raw cursor: nothing has begun), checked after.
        _raw_sqlite(connection, "PRAGMA foreign_keys=OFF")
    command.upgrade(cfg, revision)


def _raw_sqlite(connection: Connection, sql: str) -> list[Any]:
    """Run ``sql`` on the driver connection, outside any transaction."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _foreign_keys_back_on(connection: Connection) -> list[Any]:
    broken = _raw_sqlite(connection, "PRAGMA foreign_key_check")
    _raw_sqlite(connection, "PRAGMA foreign_keys=ON")
    return broken


async def upgrade(engine: AsyncEngine, revision: str = "heads") -> None:
    """Apply migrations. On PostgreSQL an advisory lock keeps concurrent starts from racing."""
    async with engine.connect() as conn:
        # SQLite: another process may be starting too; migrations take the write lock first.
        await conn.execution_options(**{WRITE: True})
        if conn.dialect.name == "postgresql":
            from sqlalchemy import text

            await conn.execute(text("SELECT pg_advisory_lock(4242001)"))
            await conn.commit()
        try:
            await conn.run_sync(_upgrade, revision)
            await conn.commit()
            if conn.dialect.name == "sqlite":
                # Foreign keys were off to rebuild tables: every reference must still hold,
                # and they go back on before this pooled connection serves anything else.
                broken = await conn.run_sync(_foreign_keys_back_on)
                if broken:
                    raise RuntimeError(f"Migrations left broken foreign keys: {broken[:5]}")
        finally:
            if conn.dialect.name == "postgresql":
                from sqlalchemy import text

                await conn.execute(text("SELECT pg_advisory_unlock(4242001)"))
                await conn.commit()


async def current_revision(engine: AsyncEngine) -> str:
    from alembic.runtime.migration import MigrationContext

    # Several heads while parallel branches' migrations wait to be merged: name them all.
    async with engine.connect() as conn:
        heads = await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_heads())
    return ", ".join(sorted(heads)) or "empty"


def database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) says the database cannot be reached: refused or
    dropped connections, a connect timeout, a server shutting down or out of connection slots.
    Not for SQL errors."""
    import asyncpg
    from sqlalchemy.exc import DBAPIError

    unreachable = (
        asyncpg.PostgresConnectionError,
        asyncpg.ConnectionDoesNotExistError,
        asyncpg.CannotConnectNowError,
        asyncpg.exceptions.OperatorInterventionError,  # admin shutdown: a restart
        # No connection slot left on the server (max_connections, or the role's limit): a peak
        # of other clients; another attempt a moment later gets one.
        asyncpg.exceptions.TooManyConnectionsError,
    )
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, unreachable):
            return True
        # A refused connect or a connect timeout (TimeoutError is an OSError) reaches us raw;
        # only one raised while talking to the database counts, not a mail server's.
        if isinstance(current, OSError) and _raised_by_database_driver(current):
            return True
        orig = getattr(current, "orig", None)
        current = (
            orig if isinstance(orig, BaseException) else current.__cause__ or current.__context__
        )
    return False


def _raised_by_database_driver(exc: BaseException) -> bool:
    frames = traceback.extract_tb(exc.__traceback__)
    return any(
        "/asyncpg/" in frame.filename or "/sqlalchemy/" in frame.filename for frame in frames
    )
