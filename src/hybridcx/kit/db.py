"""Database engine, sessions and migrations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from hybridcx.privacy.fields import attach_keyring
from hybridcx.privacy.keys import Keyring

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_engine(url: str, *, keyring: Keyring | None = None) -> AsyncEngine:
    """``keyring`` seals and opens the encrypted columns (hybridcx.privacy); without one the
    process default is used (the CLI installs it from the settings)."""
    if url.startswith("sqlite"):
        db_path = url.split(":///", 1)[-1]
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        engine = create_async_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    if keyring is not None:
        attach_keyring(engine, keyring)
    return engine


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
    # WAL lets readers and one writer work together, which matters with several processes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Privacy (issue 9): deleted rows (erasure, retention) are overwritten, not left in free pages.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits on success, rolls back on error."""
    async with factory() as session, session.begin():
        yield session


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
        # effect outside a transaction: the driver opens one for DML only), checked after.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    command.upgrade(cfg, revision)


async def upgrade(engine: AsyncEngine, revision: str = "heads") -> None:
    """Apply migrations. On PostgreSQL an advisory lock keeps concurrent starts from racing."""
    async with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            from sqlalchemy import text

            await conn.execute(text("SELECT pg_advisory_lock(4242001)"))
            await conn.commit()
        try:
            await conn.run_sync(_upgrade, revision)
            await conn.commit()
            if conn.dialect.name == "sqlite":
                from sqlalchemy import text

                # Foreign keys were off to rebuild tables: every reference must still hold,
                # and they go back on before this pooled connection serves anything else.
                broken = (await conn.execute(text("PRAGMA foreign_key_check"))).all()
                await conn.execute(text("PRAGMA foreign_keys=ON"))
                await conn.commit()
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
