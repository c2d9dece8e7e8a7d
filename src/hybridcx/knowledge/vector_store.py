"""Passage vectors shared by every process, in PostgreSQL with pgvector (HNSW index).

An article is embedded once per deployment: a process that finds a passage's text already in
the table (by its text hash, in any workspace) reuses that vector instead of running MiniLM.
Search is an HNSW nearest-neighbour query on the passage vectors; the knowledge service fuses
those candidates with its in-process BM25 ranking (engine `KnowledgeIndex.fuse`).

The table exists only where migration 0020 found the `vector` extension; elsewhere
`PgVectorStore.available` is False and the service keeps its in-process index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from hybridcx.knowledge.engine.index import KnowledgeIndex

log = structlog.get_logger(__name__)

TABLE = "knowledge_passage_vectors"
DIMENSIONS = 384  # MiniLM-L6; migration 0020 declares the columns with it
#: HNSW candidates read per query; pgvector filters (workspace, audience) after the index scan,
#: so this is also the most passages one workspace can get back from a shared table.
EF_SEARCH = 100


def vector_literal(vec: Sequence[float] | np.ndarray) -> str:
    return "[" + ",".join(f"{float(x):.7g}" for x in vec) + "]"


def parse_vector(raw: str) -> np.ndarray:
    return np.asarray([float(x) for x in raw.strip("[]").split(",")], dtype=np.float32)


async def vector_store_status(session: AsyncSession) -> str | None:
    """None when the shared store can be used; otherwise why not (logged once by the caller)."""
    if session.bind is None or session.bind.dialect.name != "postgresql":
        return "not PostgreSQL"
    found = (await session.execute(text(f"SELECT to_regclass('{TABLE}') IS NOT NULL"))).scalar()
    if not found:
        return (
            "the pgvector extension was not available when the database was migrated "
            f"(no {TABLE} table)"
        )
    return None


class PgVectorStore:
    """Passage vectors of one collection (articles) for every workspace."""

    def __init__(self, collection: str = "articles") -> None:
        self.collection = collection

    async def sync(
        self,
        engine: AsyncEngine,
        workspace_id: str,
        index: KnowledgeIndex,
        *,
        changed: Iterable[str],
        removed: Iterable[str],
    ) -> int:
        """Bring the table in step with the index for these documents; returns how many texts
        this process had to embed (0 when another process already did). Commits on its own
        connection: the caller's transaction may be a read that never commits."""
        async with engine.begin() as conn:
            return await self._sync(conn, workspace_id, index, list(changed), list(removed))

    async def _sync(
        self,
        session: AsyncConnection,
        workspace_id: str,
        index: KnowledgeIndex,
        changed: list[str],
        removed: list[str],
    ) -> int:
        if removed:
            await session.execute(
                text(
                    f"DELETE FROM {TABLE} WHERE workspace_id = :ws AND collection = :c "
                    "AND doc_id = ANY(:docs)"
                ),
                {"ws": workspace_id, "c": self.collection, "docs": removed},
            )
        wanted = {doc_id: index.vector_texts(doc_id) for doc_id in changed}
        if not wanted:
            return 0
        stored = await self._stored(session, workspace_id, list(wanted))
        stale = [
            pid
            for doc_id, rows in stored.items()
            for pid in rows
            if pid not in wanted.get(doc_id, {})
        ]
        todo = {
            pid: row
            for doc_id, rows in wanted.items()
            for pid, row in rows.items()
            if stored.get(doc_id, {}).get(pid) != (row[0], row[2])
        }
        if stale:
            await session.execute(
                text(
                    f"DELETE FROM {TABLE} WHERE workspace_id = :ws AND collection = :c "
                    "AND passage_id = ANY(:ids)"
                ),
                {"ws": workspace_id, "c": self.collection, "ids": stale},
            )
        if not todo:
            return 0
        vectors, embedded = await self._vectors_for(session, index, todo.values())
        await session.execute(
            text(
                f"INSERT INTO {TABLE} (workspace_id, collection, passage_id, doc_id, public, "
                "model_id, text_hash, title_hash, embedding, title_embedding) VALUES "
                "(:ws, :c, :pid, :doc, :public, :model, :th, :tih, CAST(:e AS vector), "
                "CAST(:te AS vector)) ON CONFLICT (workspace_id, collection, passage_id) DO UPDATE "
                "SET doc_id = EXCLUDED.doc_id, public = EXCLUDED.public, "
                "model_id = EXCLUDED.model_id, text_hash = EXCLUDED.text_hash, "
                "title_hash = EXCLUDED.title_hash, embedding = EXCLUDED.embedding, "
                "title_embedding = EXCLUDED.title_embedding"
            ),
            [
                {
                    "ws": workspace_id,
                    "c": self.collection,
                    "pid": pid,
                    "doc": pid.rsplit("#", 1)[0],
                    "public": _is_public(index, pid),
                    "model": index.model_id,
                    "th": th,
                    "tih": tih,
                    "e": vectors[th],
                    "te": vectors[tih],
                }
                for pid, (th, _t, tih, _ti) in todo.items()
            ],
        )
        return embedded

    async def _stored(
        self, session: AsyncConnection, workspace_id: str, doc_ids: list[str]
    ) -> dict[str, dict[str, tuple[str, str]]]:
        rows = await session.execute(
            text(
                f"SELECT doc_id, passage_id, text_hash, title_hash FROM {TABLE} "
                "WHERE workspace_id = :ws AND collection = :c AND doc_id = ANY(:docs)"
            ),
            {"ws": workspace_id, "c": self.collection, "docs": doc_ids},
        )
        out: dict[str, dict[str, tuple[str, str]]] = {}
        for doc_id, pid, th, tih in rows.all():
            out.setdefault(doc_id, {})[pid] = (th, tih)
        return out

    async def _vectors_for(
        self,
        session: AsyncConnection,
        index: KnowledgeIndex,
        rows: Iterable[tuple[str, str, str, str]],
    ) -> tuple[dict[str, str], int]:
        """Vector literals by text hash: reused from the table where any process stored the
        same text with the same model, embedded here otherwise."""
        texts: dict[str, str] = {}
        for th, passage_text, tih, title in rows:
            texts[th] = passage_text
            texts[tih] = title
        found = await session.execute(
            text(
                f"SELECT DISTINCT ON (text_hash) text_hash, embedding::text FROM {TABLE} "
                "WHERE model_id = :model AND text_hash = ANY(:h) "
                "UNION ALL "
                f"SELECT DISTINCT ON (title_hash) title_hash, title_embedding::text FROM {TABLE} "
                "WHERE model_id = :model AND title_hash = ANY(:h)"
            ),
            {"model": index.model_id, "h": list(texts)},
        )
        vectors: dict[str, str] = {h: v for h, v in found.all()}
        missing = [h for h in texts if h not in vectors]
        if missing:
            encoded = index.embedder.encode([texts[h] for h in missing])
            for h, vec in zip(missing, encoded, strict=True):
                vectors[h] = vector_literal(vec)
            index.embedded_texts += len(missing)
            log.info("knowledge.embedded", texts=len(missing), store="pgvector")
        return vectors, len(missing)

    async def dense_scores(
        self,
        session: AsyncSession,
        workspace_id: str,
        query_vector: np.ndarray,
        *,
        n: int,
        public_only: bool,
        also: Sequence[str] = (),
    ) -> dict[str, tuple[float, float]]:
        """passage id -> (cos(query, title), cos(query, passage)) for the `n` nearest passages
        (HNSW) and for the passages in `also` (the lexical candidates)."""
        # One round trip: `hnsw.ef_search` is set by the same statement, in a one-time filter
        # PostgreSQL evaluates before the HNSW scan starts (pgvector reads the setting on the
        # scan's first row; tests/knowledge/test_pgvector_store.py checks it applies).
        audience = "AND public " if public_only else ""
        rows = await session.execute(
            text(
                "SELECT passage_id, -(title_embedding <#> CAST(:q AS vector)), "
                "-(embedding <#> CAST(:q AS vector)) FROM "
                "(SELECT set_config('hnsw.ef_search', :ef, true) AS ef OFFSET 0) AS settings, "
                "LATERAL (SELECT passage_id, title_embedding, embedding "
                f"FROM {TABLE} WHERE workspace_id = :ws AND collection = :c {audience}"
                "AND settings.ef IS NOT NULL "
                "ORDER BY embedding <#> CAST(:q AS vector) LIMIT :n) AS nearest "
                "UNION "
                "SELECT passage_id, -(title_embedding <#> CAST(:q AS vector)), "
                f"-(embedding <#> CAST(:q AS vector)) FROM {TABLE} "
                "WHERE workspace_id = :ws AND collection = :c AND passage_id = ANY(:also)"
            ),
            {
                "q": vector_literal(query_vector),
                "ws": workspace_id,
                "c": self.collection,
                "n": n,
                "ef": str(max(EF_SEARCH, n)),
                "also": list(also),
            },
        )
        return {pid: (float(t), float(p)) for pid, t, p in rows.all()}


def _is_public(index: KnowledgeIndex, passage_id: str) -> bool:
    doc = index.get(passage_id.rsplit("#", 1)[0])
    return doc is not None and doc.audience == "public"
