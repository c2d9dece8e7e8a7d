"""SQLite transactions under contention: writers wait their turn, a busy database is a 503."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from hybridcx.kit.db import create_engine as db_engine
from hybridcx.kit.db import session_factory, transaction
from hybridcx.kit.errors import Busy

create_engine = db_engine


@pytest.fixture(autouse=True, params=["inline", "aiosqlite"])
def sqlite_driver(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here runs with both ways of driving SQLite (kit.sqlite_inline)."""
    inline = request.param == "inline"
    monkeypatch.setitem(
        globals(), "create_engine", functools.partial(db_engine, sqlite_inline=inline)
    )
    return str(request.param)


async def _table(url: str) -> None:
    engine = create_engine(url)
    async with transaction(session_factory(engine)) as session:
        await session.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        await session.execute(text("INSERT INTO counter VALUES (0)"))
    await engine.dispose()


def test_a_writer_that_read_first_is_not_failed_by_another_process(tmp_path: Path) -> None:
    """Read, then write, while another process (another engine) commits in between. With a
    deferred BEGIN the first writer's snapshot goes stale and SQLite fails it at once."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"

    async def scenario() -> int:
        await _table(url)
        one, two = create_engine(url), create_engine(url)
        has_read = asyncio.Event()

        async def first() -> None:
            async with transaction(session_factory(one)) as session:
                n = (await session.execute(text("SELECT n FROM counter"))).scalar_one()
                has_read.set()
                await asyncio.sleep(0.2)  # the other process tries to write meanwhile
                await session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})

        async def second() -> None:
            await has_read.wait()
            async with transaction(session_factory(two)) as session:
                n = (await session.execute(text("SELECT n FROM counter"))).scalar_one()
                await session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})

        await asyncio.gather(first(), second())
        async with session_factory(one)() as session:
            total = (await session.execute(text("SELECT n FROM counter"))).scalar_one()
        await one.dispose()
        await two.dispose()
        return int(total)

    assert asyncio.run(scenario()) == 2  # both increments, neither lost nor failed


def test_a_plain_session_that_reads_then_writes_is_not_failed_either(tmp_path: Path) -> None:
    """Sessions outside ``transaction()`` (a background job that reads, then commits a write)
    read outside any transaction and begin at their first write, where SQLite can wait."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"

    async def scenario() -> int:
        await _table(url)
        engine = create_engine(url)
        factory = session_factory(engine)
        async with factory() as reader:
            n = (await reader.execute(text("SELECT n FROM counter"))).scalar_one()
            async with transaction(factory) as writer:  # another writer commits meanwhile
                await writer.execute(text("UPDATE counter SET n = n + 10"))
            await reader.execute(text("UPDATE counter SET n = n + :n"), {"n": n + 1})
            await reader.commit()
        async with factory() as session:
            total = (await session.execute(text("SELECT n FROM counter"))).scalar_one()
        await engine.dispose()
        return int(total)

    assert asyncio.run(scenario()) == 11


def test_writers_in_one_process_take_turns(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"

    async def scenario() -> int:
        await _table(url)
        engine = create_engine(url)
        factory = session_factory(engine)

        async def bump() -> None:
            async with transaction(factory) as session:
                n = (await session.execute(text("SELECT n FROM counter"))).scalar_one()
                await asyncio.sleep(0)
                await session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})

        await asyncio.gather(*(bump() for _ in range(50)))
        async with factory() as session:
            total = (await session.execute(text("SELECT n FROM counter"))).scalar_one()
        await engine.dispose()
        return int(total)

    assert asyncio.run(scenario()) == 50


def test_a_database_that_stays_busy_is_a_503_not_a_500(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    url = f"sqlite+aiosqlite:///{path}"
    asyncio.run(_table(url))
    other = sqlite3.connect(path, isolation_level=None)  # another process holding the lock
    other.execute("BEGIN IMMEDIATE")

    async def scenario() -> None:
        engine = create_engine(url, busy_timeout_ms=20)
        try:
            async with transaction(session_factory(engine)) as session:
                await session.execute(text("UPDATE counter SET n = 1"))
        finally:
            await engine.dispose()

    try:
        with pytest.raises(Busy) as caught:
            asyncio.run(scenario())
    finally:
        other.rollback()
        other.close()
    assert caught.value.status_code == 503
    assert caught.value.headers == {"Retry-After": "1"}


@pytest.mark.parametrize(("setting", "pragma"), [("normal", 1), ("full", 2)])
def test_sqlite_synchronous_follows_the_setting(tmp_path: Path, setting: str, pragma: int) -> None:
    """PRAGMA synchronous is set on every connection (1 = NORMAL, 2 = FULL)."""

    async def main() -> int:
        engine = create_engine(
            f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", sqlite_synchronous=setting
        )
        async with session_factory(engine)() as session:
            value = (await session.execute(text("PRAGMA synchronous"))).scalar_one()
        await engine.dispose()
        return int(value)

    assert asyncio.run(main()) == pragma


def test_an_unknown_sqlite_synchronous_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="sqlite_synchronous"):
        create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", sqlite_synchronous="off")
