"""The shared vector store: article passages in pgvector (HNSW) on a real PostgreSQL 16 with
the extension (the pinned bundled server), searched by several processes' services."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hybridcx.config import Settings
from hybridcx.kit.db import create_engine, session_factory, upgrade
from hybridcx.kit.keys import load_keyring
from hybridcx.knowledge.service import KnowledgeService
from hybridcx.knowledge.vector_store import vector_literal
from hybridcx.models import Article, Workspace
from tests.knowledge.conftest import HashingEmbedder
from tests.support import POSTGRES_URL, LiveServer, reset_database

QUESTIONS = (
    "What are your opening hours?",
    "How do I return something I bought?",
    "Which payment methods do you accept?",
    "Do you ship abroad?",
)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


class Db:
    """An engine on one event loop per test call: each call builds and disposes its own."""

    def __init__(self, url: str, data_dir: Path) -> None:
        self.url = url
        self.ring = load_keyring(keys=None, index_key=None, key_file=None, data_dir=data_dir)

    async def __aenter__(self) -> tuple[AsyncEngine, async_sessionmaker[AsyncSession]]:
        self.engine = create_engine(self.url, keyring=self.ring)
        return self.engine, session_factory(self.engine)

    async def __aexit__(self, *_exc: object) -> None:
        await self.engine.dispose()


@pytest.fixture
def db(pgvector_url: str, tmp_path: Path) -> Db:
    database = Db(pgvector_url, tmp_path)

    async def prepare() -> None:
        async with database as (engine, sessions):
            await upgrade(engine)
            await reset_database(sessions)

    run(prepare())
    return database


async def _workspace(session: AsyncSession) -> str:
    return str(
        (
            await session.execute(select(Workspace.id).where(Workspace.slug == "default"))
        ).scalar_one()
    )


async def _rows(session: AsyncSession, **where: str) -> int:
    clause = " AND ".join(f"{k} = :{k}" for k in where) or "TRUE"
    return int(
        (
            await session.execute(
                text(f"SELECT count(*) FROM knowledge_passage_vectors WHERE {clause}"), where
            )
        ).scalar_one()
    )


def test_migration_creates_the_extension_and_an_hnsw_index(db: Db) -> None:
    async def check() -> tuple[Any, ...]:
        async with db as (_engine, sessions), sessions() as s:
            version = (
                await s.execute(
                    text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
                )
            ).scalar()
            method = (
                await s.execute(
                    text(
                        "SELECT am.amname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                        "JOIN pg_am am ON am.oid = c.relam "
                        "WHERE c.relname = 'ix_knowledge_passage_vectors_hnsw'"
                    )
                )
            ).scalar()
            return version, method

    version, method = run(check())
    assert version == "0.6.2" and method == "hnsw"


def test_processes_share_vectors_and_rank_like_the_in_process_index(db: Db) -> None:
    async def scenario() -> dict[str, Any]:
        async with db as (_engine, sessions), sessions() as s:
            ws = await _workspace(s)
            first, second = KnowledgeService(), KnowledgeService()  # two server processes
            in_process = KnowledgeService(shared_vectors=False)
            out: dict[str, Any] = {"first": [], "second": [], "memory": []}
            for q in QUESTIONS:
                out["first"].append(await first.search(s, ws, q))
            out["first_embedded"] = (await first.articles(s, ws)).embedded_texts
            for q in QUESTIONS:
                out["second"].append(await second.search(s, ws, q))
                out["memory"].append(await in_process.search(s, ws, q))
            index = await second.articles(s, ws)
            out["second_embedded"] = index.embedded_texts
            out["second_local"] = index.embed_locally
            out["rows"] = await _rows(s, workspace_id=ws)
            out["answer"] = await second.answer(s, ws, "What are your opening hours?")
            return out

    out = run(scenario())
    assert out["first_embedded"] > 0 and out["rows"] > 0
    assert out["second_embedded"] == 0  # embedded once per deployment, not once per process
    assert out["second_local"] is False
    for shared_a, shared_b, memory in zip(out["first"], out["second"], out["memory"], strict=True):
        assert [h.passage_id for h in shared_a] == [h.passage_id for h in shared_b]
        assert shared_a[0].doc_id == memory[0].doc_id
        assert shared_a[0].score == pytest.approx(memory[0].score, abs=1e-4)
    assert out["answer"].answered and "Monday" in out["answer"].text


def test_edits_reembed_only_what_changed_and_removals_leave_the_store(db: Db) -> None:
    async def scenario() -> dict[str, Any]:
        async with db as (_engine, sessions):
            first, second = KnowledgeService(), KnowledgeService()
            async with sessions() as s:
                ws = await _workspace(s)
                await first.search(s, ws, "warm up")
                await second.search(s, ws, "warm up")
                before = (await first.articles(s, ws)).embedded_texts
            async with sessions() as s, s.begin():
                hours = (
                    await s.execute(
                        select(Article).where(
                            Article.workspace_id == ws, Article.slug == "opening-hours"
                        )
                    )
                ).scalar_one()
                hours.body = "We are open every day from 7:00 to 23:00, holidays included."
                hours.version += 1
                gift = (
                    await s.execute(
                        select(Article).where(
                            Article.workspace_id == ws, Article.slug == "gift-cards"
                        )
                    )
                ).scalar_one()
                gift_id = gift.id
                await s.delete(gift)
                returns = (
                    await s.execute(
                        select(Article).where(
                            Article.workspace_id == ws, Article.slug == "returns-policy"
                        )
                    )
                ).scalar_one()
                returns.audience = "internal"
                returns.version += 1
                returns_id = returns.id
            async with sessions() as s:
                hits = await first.search(s, ws, "When are you open?")
                after = (await first.articles(s, ws)).embedded_texts
                second_before = (await second.articles(s, ws)).embedded_texts
                second_hits = await second.search(s, ws, "When are you open?")
                second_after = (await second.articles(s, ws)).embedded_texts
                public = await second.search(s, ws, "How do I return an item?", k=10)
                staff = await second.search(s, ws, "How do I return an item?", k=10, audience="all")
                gift_rows = await _rows(s, workspace_id=ws, doc_id=gift_id)
                return {
                    "reembedded": after - before,
                    "second_reembedded": second_after - second_before,
                    "top": hits[0].text,
                    "second_top": second_hits[0].text,
                    "public": {h.doc_id for h in public},
                    "staff": {h.doc_id for h in staff},
                    "returns_id": returns_id,
                    "gift_rows": gift_rows,
                }

    out = run(scenario())
    assert 1 <= out["reembedded"] <= 2  # the changed passage (the title did not change)
    assert out["second_reembedded"] == 0
    assert "7:00 to 23:00" in out["top"] and out["second_top"] == out["top"]
    assert out["gift_rows"] == 0
    assert out["returns_id"] not in out["public"] and out["returns_id"] in out["staff"]


class WideHashingEmbedder(HashingEmbedder):
    """The hashing embedder at the table's width (384), without MiniLM."""

    dim = 384


def test_one_statement_sets_ef_search_for_its_own_hnsw_scan(db: Db) -> None:
    """pgvector's HNSW scan returns at most `hnsw.ef_search` rows (default 40): more nearest
    passages than that come back only if the search's one statement applied the setting
    before the scan started."""

    async def scenario() -> tuple[int, dict[int, int], str]:
        async with db as (_engine, sessions):
            async with sessions() as s, s.begin():
                ws = await _workspace(s)
                for i in range(130):
                    s.add(
                        Article(
                            workspace_id=ws,
                            slug=f"topic-{i}",
                            title=f"Topic {i} of the catalogue",
                            body=f"Everything about item {i}: colour {i % 7}, size {i % 5}.",
                        )
                    )
            service = KnowledgeService(embedder=WideHashingEmbedder())
            async with sessions() as s:
                index = await service.articles(s, ws)
                store = await service.shared_store(s)
                assert store is not None and not index.embed_locally
                qvec = index.query_vector("item colour size")
            nearest = (
                "SELECT passage_id FROM knowledge_passage_vectors WHERE workspace_id = :ws "
                "ORDER BY embedding <#> CAST(:q AS vector) LIMIT 120"
            )
            # A table this small would be sorted without the index: no sort, so HNSW it is.
            no_sort = text("SET LOCAL enable_sort = off")
            q = {"ws": ws, "q": vector_literal(qvec)}
            async with sessions() as s:
                await s.execute(no_sort)
                plan = "\n".join(r[0] for r in await s.execute(text(f"EXPLAIN {nearest}"), q))
                alone = len((await s.execute(text(nearest), q)).all())  # ef_search as it is
            found: dict[int, int] = {}
            for n in (30, 120):
                async with sessions() as s:
                    await s.execute(no_sort)
                    found[n] = len(await store.dense_scores(s, ws, qvec, n=n, public_only=True))
            return alone, found, plan

    alone, found, plan = run(scenario())
    assert "ix_knowledge_passage_vectors_hnsw" in plan
    assert alone < 60  # the default ef_search (40) caps a scan that does not set it
    assert found == {30: 30, 120: 120}


def test_plain_postgresql_without_pgvector_keeps_the_in_process_index(tmp_path: Path) -> None:
    if not POSTGRES_URL:
        pytest.skip("needs HYBRIDCX_TEST_POSTGRES_URL (a PostgreSQL without pgvector)")

    async def scenario() -> tuple[Any, ...]:
        ring = load_keyring(keys=None, index_key=None, key_file=None, data_dir=tmp_path)
        engine = create_engine(POSTGRES_URL, keyring=ring)  # type: ignore[arg-type]
        try:
            await upgrade(engine)
            sessions = session_factory(engine)
            async with sessions() as s:
                available = (
                    await s.execute(
                        text("SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'")
                    )
                ).scalar()
                if available:
                    pytest.skip("this PostgreSQL has pgvector")
                service = KnowledgeService()
                store = await service.shared_store(s)
                table = (
                    await s.execute(text("SELECT to_regclass('knowledge_passage_vectors')"))
                ).scalar()
                return store, table
        finally:
            await engine.dispose()

    store, table = run(scenario())
    assert store is None and table is None


@pytest.fixture
def pg_servers(
    pgvector_url: str, tmp_path: Path, nlu_model_dir: Path
) -> Iterator[list[LiveServer]]:
    def settings(name: str) -> Settings:
        return Settings(
            data_dir=tmp_path / "shared",  # one key file: both read each other's rows
            database_url=pgvector_url,
            nlu_model_dir=nlu_model_dir,
            experiments_check_seconds=0,
            analytics_rollup_interval_seconds=0,
            _env_file=None,
        )

    first = LiveServer(settings("a")).start()
    first.reset()
    second = LiveServer(settings("b")).start()
    yield [first, second]
    first.stop()
    second.stop()


def test_two_servers_answer_from_one_store(pg_servers: list[LiveServer]) -> None:
    answers = []
    for live in pg_servers:
        with httpx.Client(base_url=live.url, timeout=30) as http:
            conv = http.post(
                "/api/v1/conversations",
                json={"channel": "webchat", "customer": {"email": "alex@example.com", "name": "A"}},
            ).json()
            r = http.post(
                f"/api/v1/conversations/{conv['id']}/messages",
                json={"text": "Do you have a store in Leeds?"},
                headers={"Authorization": f"Bearer {conv['customer_token']}"},
            )
            assert r.status_code == 200, r.text
            answers.append([m["text"] for m in r.json()["messages"] if m["author"] == "ai"])
    assert answers[0] == answers[1]
    first, second = (live.runtime.knowledge for live in pg_servers)
    assert first._store is not None and second._store is not None
    embedded = [sum(c.index.embedded_texts for c in k._articles.values()) for k in (first, second)]
    assert first._articles and second._articles  # both searched
    assert embedded[0] > 0 and embedded[1] == 0
