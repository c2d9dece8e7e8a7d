"""The knowledge revision (migration 0036): database triggers bump a workspace's counter with
every article change, whoever writes it, and a process checks it with one primary-key read."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, event, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hybridcx.kit.db import create_engine, session_factory, upgrade
from hybridcx.kit.ids import new_id, utcnow
from hybridcx.knowledge.service import KnowledgeService
from hybridcx.models import Article, Workspace
from tests.knowledge.conftest import HashingEmbedder
from tests.support import backend_params, own_postgres_database


def run(coro: Any) -> Any:
    return asyncio.run(coro)


@pytest.fixture(params=backend_params())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'kb.db'}"
    else:
        yield run(own_postgres_database("kb_revision"))


@asynccontextmanager
async def database(url: str) -> AsyncIterator[tuple[Any, async_sessionmaker[AsyncSession]]]:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        yield engine, session_factory(engine)
    finally:
        await engine.dispose()


async def _workspace(sessions: async_sessionmaker[AsyncSession], slug: str) -> str:
    async with sessions() as s, s.begin():
        ws = Workspace(id=new_id(), slug=slug, name=slug)
        s.add(ws)
    return ws.id


async def _revision(sessions: async_sessionmaker[AsyncSession], ws: str) -> int:
    async with sessions() as s:
        stmt = select(Workspace.knowledge_revision).where(Workspace.id == ws)
        return int((await s.execute(stmt)).scalar_one())


def _article(ws: str, slug: str, body: str) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": new_id(),
        "workspace_id": ws,
        "slug": slug,
        "title": slug.replace("-", " ").title(),
        "body": body,
        "audience": "public",
        "tags": [],
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }


def test_every_kind_of_article_change_moves_the_revision_in_its_transaction(
    database_url: str,
) -> None:
    async def scenario() -> dict[str, list[int]]:
        async with database(database_url) as (_engine, sessions):
            ws = await _workspace(sessions, "revision")
            other = await _workspace(sessions, "other")
            seen = {"ws": [await _revision(sessions, ws)], "other": []}
            seen["other"].append(await _revision(sessions, other))

            async def step(statement: Any) -> None:
                async with sessions() as s, s.begin():
                    await s.execute(statement)
                seen["ws"].append(await _revision(sessions, ws))

            rows = [_article(ws, f"article-{i}", f"body {i}") for i in range(3)]
            await step(insert(Article).values(rows))  # a bulk insert
            await step(update(Article).where(Article.slug == "article-0").values(version=2))
            await step(text("DELETE FROM articles WHERE slug = 'article-1'"))  # raw SQL
            async with sessions() as s, s.begin():  # the ORM, as the API writes
                s.add(Article(**_article(ws, "orm", "added through the ORM")))
            seen["ws"].append(await _revision(sessions, ws))
            await step(delete(Article).where(Article.workspace_id == ws))
            async with sessions() as s:  # a change rolled back moves nothing
                await s.execute(insert(Article).values([_article(ws, "gone", "rolled back")]))
                await s.rollback()
            seen["ws"].append(await _revision(sessions, ws))
            seen["other"].append(await _revision(sessions, other))
            return seen

    seen = run(scenario())
    moves = seen["ws"][:-1]
    assert all(b > a for a, b in zip(moves, moves[1:], strict=False)), seen
    assert seen["ws"][-1] == seen["ws"][-2]  # the rollback
    assert seen["other"] == [0, 0]  # another workspace's articles are not its knowledge


def test_a_process_sees_another_process_edit_and_reads_only_the_changed_article(
    database_url: str,
) -> None:
    async def scenario() -> dict[str, Any]:
        async with database(database_url) as (_engine, sessions):
            ws = await _workspace(sessions, "two-processes")
            async with sessions() as s, s.begin():
                await s.execute(
                    insert(Article).values(
                        [
                            _article(ws, "opening-hours", "We open at 9:00 on weekdays."),
                            _article(ws, "returns", "Return an item within 30 days."),
                            _article(ws, "shipping", "We ship to every country in Europe."),
                        ]
                    )
                )
            first, second = HashingEmbedder(), HashingEmbedder()
            a = KnowledgeService(embedder=first, shared_vectors=False)
            b = KnowledgeService(embedder=second, shared_vectors=False)
            async with sessions() as s:
                await a.search(s, ws, "opening hours")
                await b.search(s, ws, "opening hours")
            embedded = len(first.calls)
            async with sessions() as s, s.begin():  # process b's staff edits an article
                await s.execute(
                    update(Article)
                    .where(Article.workspace_id == ws, Article.slug == "opening-hours")
                    .values(body="We open at 7:00 every day of the week.", version=2)
                )
                await s.execute(
                    delete(Article).where(Article.workspace_id == ws, Article.slug == "shipping")
                )
            async with sessions() as s:
                hits = await a.search(s, ws, "opening hours")  # its vector is cached
                reembedded = first.calls[embedded:]
                shipping = await a.search(s, ws, "ship to Europe", k=5)
            return {
                "top": hits[0].text,
                "reembedded": reembedded,
                "shipping": [h.doc_id for h in shipping if "ship" in h.text],
            }

    out = run(scenario())
    assert "7:00 every day" in out["top"]
    # Only the edited article's passage (its title did not change) went to the embedder.
    assert out["reembedded"] == ["Opening Hours. We open at 7:00 every day of the week."]
    assert out["shipping"] == []


def test_an_unchanged_knowledge_base_costs_one_primary_key_read_per_turn(
    database_url: str,
) -> None:
    async def scenario() -> list[str]:
        async with database(database_url) as (engine, sessions):
            ws = await _workspace(sessions, "one-read")
            async with sessions() as s, s.begin():
                await s.execute(
                    insert(Article).values([_article(ws, f"a-{i}", f"b {i}") for i in range(50)])
                )
            service = KnowledgeService(embedder=HashingEmbedder(), shared_vectors=False)
            async with sessions() as s:
                await service.search(s, ws, "warm up")
            statements: list[str] = []

            def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
                statements.append(" ".join(statement.split()))

            event.listen(engine.sync_engine, "before_cursor_execute", record)
            async with sessions() as s:  # the next turn: its answer and output filter ask
                await service.articles(s, ws)
                await service.search(s, ws, "b 7")
            event.remove(engine.sync_engine, "before_cursor_execute", record)
            return [st for st in statements if not st.upper().startswith(("BEGIN", "ROLLBACK"))]

    statements = run(scenario())
    assert len(statements) == 1, statements
    assert statements[0].startswith("SELECT workspaces.knowledge_revision FROM workspaces")
    assert "WHERE workspaces.id =" in statements[0]


def test_a_transaction_of_many_statements_moves_the_revision_and_a_savepoint_undoes_its_part(
    database_url: str,
) -> None:
    """PostgreSQL bumps a workspace once per transaction (a long import of single-row
    statements must not update the same row again and again); a rolled-back savepoint takes
    its bump back with its rows, and the next change bumps again."""

    async def scenario() -> dict[str, Any]:
        async with database(database_url) as (engine, sessions):
            ws = await _workspace(sessions, "import")
            start = await _revision(sessions, ws)
            async with sessions() as s, s.begin():
                for i in range(200):  # one statement per article, as a naive import does
                    await s.execute(insert(Article).values(_article(ws, f"a-{i}", f"body {i}")))
            after_import = await _revision(sessions, ws)
            if engine.dialect.name != "postgresql":  # savepoints: the PostgreSQL trigger's part
                return {"dialect": engine.dialect.name, "import": after_import - start}
            async with sessions() as s, s.begin():
                nested = await s.begin_nested()
                await s.execute(insert(Article).values(_article(ws, "undone", "rolled back")))
                await nested.rollback()
                await s.execute(update(Article).where(Article.slug == "a-0").values(version=2))
            after_savepoint = await _revision(sessions, ws)
            return {
                "dialect": engine.dialect.name,
                "import": after_import - start,
                "savepoint": after_savepoint - after_import,
            }

    out = run(scenario())
    if out["dialect"] == "postgresql":
        assert out == {"dialect": "postgresql", "import": 1, "savepoint": 1}
    else:  # SQLite: row triggers, one bump per row
        assert out == {"dialect": "sqlite", "import": 200}
