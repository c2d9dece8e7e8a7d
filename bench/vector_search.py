"""Knowledge search over 100,000 passages: the shared pgvector store vs the in-process index.

    .venv/bin/python bench/vector_search.py [--passages 100000] [--queries 300]
        [--database-url postgresql+asyncpg://...]   # a PostgreSQL with pgvector; default:
                                                    # the pinned bundled server, on a free port

Loopback only. The passages are synthetic (random words from a 5,000-word vocabulary, vectors
drawn around 2,000 random centres and normalised): embedding 100,000 real texts with MiniLM would
take most of an hour here and the search cost does not depend on what the words mean. Every
vector row carries the text hashes the service expects, so the service finds them all already
stored and embeds nothing but the queries.

Prints, per store: p50 / p99 of
  - dense: the HNSW query alone (50 nearest passages of one workspace + the lexical candidates),
  - search: `KnowledgeService.search` end to end (query embedding, BM25 over 100k passages in
    process, the SQL, the fusion),
and the HNSW recall@10 against an exact scan on 50 queries.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pgvector_bulk import copy_passage_vectors, passage_rows, vector_literal  # noqa: E402

from hybridcx.kit.db import create_engine, session_factory, upgrade  # noqa: E402
from hybridcx.kit.ids import utcnow  # noqa: E402
from hybridcx.knowledge.engine.documents import Document  # noqa: E402
from hybridcx.knowledge.engine.index import KnowledgeIndex  # noqa: E402
from hybridcx.knowledge.service import KnowledgeService  # noqa: E402
from hybridcx.knowledge.vector_store import DIMENSIONS, PgVectorStore  # noqa: E402
from hybridcx.models import Article, Workspace  # noqa: E402

WORDS = [f"w{i:04d}" for i in range(5000)]


def synthetic_documents(n: int, rng: random.Random) -> list[Document]:
    # Zipf-like, as the content words of real text are once the tokenizer has dropped the stop
    # words (a pure 1/rank law would put the top word in every passage, as "the" would be).
    weights = [1.0 / (i + 20) for i in range(len(WORDS))]
    docs = []
    for i in range(n):
        title = " ".join(rng.choices(WORDS, weights, k=6))
        body = " ".join(rng.choices(WORDS, weights, k=60)) + "."
        docs.append(Document(id=f"bench-{i:06d}", title=title, body=body))
    return docs


def synthetic_vectors(n: int, rng: np.random.Generator) -> np.ndarray:
    centres = rng.standard_normal((2000, DIMENSIONS)).astype(np.float32)
    vectors = centres[rng.integers(0, len(centres), n)] + 0.6 * rng.standard_normal(
        (n, DIMENSIONS)
    ).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


async def load(url: str, docs: list[Document], vectors: np.ndarray) -> str:
    engine = create_engine(url)
    await upgrade(engine)
    sessions = session_factory(engine)
    async with sessions() as s, s.begin():
        found = (
            await s.execute(select(Workspace.id).where(Workspace.slug == "bench-vectors"))
        ).scalar()
        if found is not None:
            await s.execute(
                text("DELETE FROM knowledge_passage_vectors WHERE workspace_id = :w"), {"w": found}
            )
            await s.execute(text("DELETE FROM articles WHERE workspace_id = :w"), {"w": found})
            await s.execute(text("DELETE FROM workspaces WHERE id = :w"), {"w": found})
        workspace = Workspace(slug="bench-vectors", name="bench")
        s.add(workspace)
        await s.flush()
        ws = workspace.id
        now = utcnow()
        await s.execute(
            Article.__table__.insert(),
            [
                {
                    "id": d.id,
                    "workspace_id": ws,
                    "slug": d.id,
                    "title": d.title,
                    "body": d.body,
                    "audience": "public",
                    "tags": [],
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for d in docs
            ],
        )
    index = KnowledgeIndex(embed_locally=False)
    index.add(docs)
    pairs = ((d.id, vec) for d, vec in zip(docs, vectors, strict=True))
    rows = passage_rows(ws, index, pairs, model_id=index.model_id)
    copied, built = await copy_passage_vectors(engine, rows)
    print(f"loaded {len(docs)} passages: COPY {copied:.1f} s, HNSW build {built:.1f} s")
    await engine.dispose()
    return ws


def percentiles(samples: list[float]) -> dict[str, float]:
    a = np.array(samples) * 1000
    return {
        "p50_ms": round(float(np.percentile(a, 50)), 2),
        "p99_ms": round(float(np.percentile(a, 99)), 2),
    }


async def measure(
    url: str, ws: str, docs: list[Document], vectors: np.ndarray, n_queries: int
) -> dict[str, Any]:
    rng = random.Random(1)
    engine = create_engine(url)
    sessions = session_factory(engine)
    service = KnowledgeService()
    store = PgVectorStore()
    result: dict[str, Any] = {}
    async with sessions() as s:
        started = time.perf_counter()
        index = await service.articles(s, ws)
        result["service_first_load_s"] = round(time.perf_counter() - started, 1)
        result["embedded_at_load"] = index.embedded_texts
        # A question shares a few words with the passage it is about (5 of its words).
        queries = [
            " ".join(rng.sample(rng.choice(docs).body.rstrip(".").split(), 5))
            for _ in range(n_queries)
        ]
        await service.search(s, ws, queries[0])  # warm-up: model, plans
        dense, full = [], []
        for q in queries:
            qvec = index.embedder.encode([q])[0]
            lexical = index.lexical_top(q, 50)
            t = time.perf_counter()
            await store.dense_scores(s, ws, qvec, n=50, public_only=True, also=lexical)
            dense.append(time.perf_counter() - t)
            t = time.perf_counter()
            await service.search(s, ws, q)
            full.append(time.perf_counter() - t)
        result["dense_sql"] = percentiles(dense)
        result["service_search"] = percentiles(full)
        # The same HNSW query's execution time inside PostgreSQL (no client, no network): what
        # the store costs when the machine is not shared with other jobs' CPU.
        server = []
        for q in queries:
            qvec = index.embedder.encode([q])[0]
            await s.execute(text("SELECT set_config('hnsw.ef_search', '100', true)"))
            plan = await s.execute(
                text(
                    "EXPLAIN (ANALYZE, FORMAT JSON) SELECT passage_id, "
                    "-(title_embedding <#> CAST(:q AS vector)), -(embedding <#> CAST(:q AS vector)) "
                    "FROM knowledge_passage_vectors WHERE workspace_id = :ws AND "
                    "collection = 'articles' AND public ORDER BY embedding <#> CAST(:q AS vector) "
                    "LIMIT 50"
                ),
                {"ws": ws, "q": vector_literal(qvec)},
            )
            server.append(plan.scalar_one()[0]["Execution Time"] / 1000)
        result["dense_sql_server_side"] = percentiles(server)
        # HNSW recall@10 against an exact scan, on vectors near stored ones.
        nprng = np.random.default_rng(2)
        recall = []
        for i in nprng.integers(0, len(vectors), 50):
            probe = vectors[i] + 0.3 * nprng.standard_normal(DIMENSIONS).astype(np.float32)
            probe /= np.linalg.norm(probe)
            exact = set(np.argsort(-(vectors @ probe))[:10].tolist())
            await s.execute(text("SELECT set_config('hnsw.ef_search', '100', true)"))
            got = await s.execute(
                text(
                    "SELECT doc_id FROM knowledge_passage_vectors WHERE workspace_id = :ws "
                    "AND collection = 'articles' ORDER BY embedding <#> CAST(:q AS vector) LIMIT 10"
                ),
                {"ws": ws, "q": vector_literal(probe)},
            )
            found = {int(r[0].split("-")[1]) for r in got.all()}
            recall.append(len(found & exact) / 10)
        result["hnsw_recall_at_10"] = round(float(np.mean(recall)), 3)
        plan = await s.execute(
            text(
                "EXPLAIN SELECT passage_id FROM knowledge_passage_vectors WHERE workspace_id = :ws "
                "AND collection = 'articles' AND public ORDER BY embedding <#> CAST(:q AS vector) LIMIT 50"
            ),
            {"ws": ws, "q": vector_literal(vectors[0])},
        )
        result["plan_uses_hnsw"] = "ix_knowledge_passage_vectors_hnsw" in "\n".join(
            r[0] for r in plan.all()
        )
    await engine.dispose()
    # The in-process index on the same passages and vectors (what each process holds today).
    memory = KnowledgeIndex(index.embedder)
    for d, vec in zip(docs, vectors, strict=True):
        for _pid, (th, _t, tih, _ti) in index.vector_texts(d.id).items():
            memory._vectors[th] = vec
            memory._vectors[tih] = vec
    memory.add(docs)
    memory.search(queries[0])
    times = []
    for q in queries:
        t = time.perf_counter()
        memory.search(q)
        times.append(time.perf_counter() - t)
    result["in_process_search"] = percentiles(times)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    bundled = None
    url = args.database_url
    if url is None:
        from tests.pgvector_server import BundledPostgres

        bundled = BundledPostgres().start()
        url = bundled.url
    try:
        docs = synthetic_documents(args.passages, random.Random(0))
        vectors = synthetic_vectors(args.passages, np.random.default_rng(0))
        ws = asyncio.run(load(url, docs, vectors))
        result = asyncio.run(measure(url, ws, docs, vectors, args.queries))
        result["passages"] = args.passages
        result["load_average_1_5_15"] = [round(x, 1) for x in os.getloadavg()]
        print(json.dumps(result, indent=2))
    finally:
        if bundled is not None:
            bundled.stop()


if __name__ == "__main__":
    main()
