"""Knowledge search at scale: the whole search as the server runs it for a customer question
(`KnowledgeService.search`), and its parts, on both stores, before and after
a change, side by side in one run.

    .venv/bin/python bench/kb_search.py --passages 10000,100000 [--queries 200] [--before REV]
        [--database-url postgresql+asyncpg://...]   # PostgreSQL with pgvector; default: the
                                                    # pinned bundled server, on a free port
        [--minilm]                                  # also time MiniLM on one question

- Passages are synthetic and deterministic (seeded): 6-word titles and 60-word bodies drawn from
  a 5,000-word Zipf-like vocabulary, one passage per article. Questions are 5 words of one
  passage.
- Vectors are drawn around 2,000 random centres and normalised. The services get an embedder
  that looks them up by text (a question gets a vector near its passage's), so the model's time
  is not in the figures; `--minilm` times the real model on the questions apart.
- Stores: SQLite (a scratch file; the service keeps the in-process index) and PostgreSQL with
  pgvector (the rows the service would write are COPYed in and the HNSW index is built).
- `--before REV`: the same measurements run on the code of git revision REV (its `src/`, from
  `git archive`, in a subprocess), on the same databases.

Parts (milliseconds, p50 / p95 / p99 over the questions):
  - load: `KnowledgeService.articles` in a fresh session (the signature query that says the
    cached index is current: once per session, so once per customer turn);
  - lexical: BM25 over every passage (in-process: the per-row lexical scores; pgvector: the
    scores and the 50 lexical candidates);
  - vector: in-process, the two matrix products; pgvector, the SQL (HNSW nearest 50 of the
    workspace + the lexical candidates);
  - fusion: pgvector, `fuse` on the candidates; in-process, `index.search` minus the two above
    (ranking, hits);
  - search: the whole `KnowledgeService.search` right after, in that session (the signature
    is read once per session: a turn's answer and output filter share it); a turn's first
    search costs search + load.
Loopback only; everything is removed at the end (the bundled server and the SQLite file).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
WORDS = [f"w{i:04d}" for i in range(5000)]
DIMENSIONS = 384
CANDIDATES = 50
WORKSPACE_SLUG = "bench-kb-search"


def synthetic_texts(n: int) -> list[tuple[str, str, str]]:
    """(article id, title, body), deterministic for a given n."""
    rng = random.Random(0)
    # Zipf-like, as content words are once the tokenizer has dropped the stop words.
    weights = [1.0 / (i + 20) for i in range(len(WORDS))]
    out = []
    for i in range(n):
        title = " ".join(rng.choices(WORDS, weights, k=6))
        body = " ".join(rng.choices(WORDS, weights, k=60)) + "."
        out.append((f"kb-{i:06d}", title, body))
    return out


def synthetic_vectors(n: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((2000, DIMENSIONS)).astype(np.float32)
    vectors = centres[rng.integers(0, len(centres), n)] + 0.6 * rng.standard_normal(
        (n, DIMENSIONS)
    ).astype(np.float32)
    out: np.ndarray = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return out


def questions(texts: list[tuple[str, str, str]], count: int) -> list[tuple[str, int]]:
    """(question, index of the passage it is about)."""
    rng = random.Random(1)
    out = []
    for _ in range(count):
        i = rng.randrange(len(texts))
        out.append((" ".join(rng.sample(texts[i][2].rstrip(".").split(), 5)), i))
    return out


class LookupEmbedder:
    """Vectors by text: passage texts and titles get their article's vector, questions a vector
    near their passage's; anything else a vector seeded by the text's hash."""

    def __init__(self, model_id: str, vectors: dict[str, np.ndarray]) -> None:
        self.model_id = model_id
        self.dim = DIMENSIONS
        self._vectors = vectors

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        for i, text in enumerate(texts):
            vec = self._vectors.get(text)
            if vec is None:
                seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
                vec = np.random.default_rng(seed).standard_normal(DIMENSIONS).astype(np.float32)
                vec /= np.linalg.norm(vec)
            out[i] = vec
        return out


def build_embedder(n: int, n_queries: int) -> tuple[LookupEmbedder, list[str], Any]:
    from hybridcx.knowledge.engine.documents import Document
    from hybridcx.knowledge.engine.index import KnowledgeIndex
    from hybridcx.nlu.embeddings import MINILM_MODEL_ID

    texts = synthetic_texts(n)
    vectors = synthetic_vectors(n)
    lookup: dict[str, np.ndarray] = {}
    docs = [Document(id=i, title=t, body=b) for i, t, b in texts]
    index = KnowledgeIndex(embed_locally=False)
    index.add(docs)
    for doc, vec in zip(docs, vectors, strict=True):
        for _th, text, _tih, title in index.vector_texts(doc.id).values():
            lookup[text] = vec
            lookup[title] = vec
    rng = np.random.default_rng(2)
    asked = []
    for q, i in questions(texts, n_queries):
        probe = vectors[i] + 0.3 * rng.standard_normal(DIMENSIONS).astype(np.float32)
        lookup[q] = probe / np.linalg.norm(probe)
        asked.append(q)
    return LookupEmbedder(MINILM_MODEL_ID, lookup), asked, index


# -- loading (current code) ------------------------------------------------------------------


async def load_database(url: str, n: int, *, pgvector: bool) -> str:
    from sqlalchemy import select, text

    from hybridcx.kit.db import create_engine, session_factory, upgrade
    from hybridcx.kit.ids import utcnow
    from hybridcx.models import Article, Workspace

    engine = create_engine(url)
    await upgrade(engine)
    sessions = session_factory(engine)
    texts = synthetic_texts(n)
    async with sessions() as s, s.begin():
        found = (
            await s.execute(select(Workspace.id).where(Workspace.slug == WORKSPACE_SLUG))
        ).scalar()
        if found is not None:
            if pgvector:
                await s.execute(
                    text("DELETE FROM knowledge_passage_vectors WHERE workspace_id = :w"),
                    {"w": found},
                )
            await s.execute(text("DELETE FROM articles WHERE workspace_id = :w"), {"w": found})
            await s.execute(text("DELETE FROM workspaces WHERE id = :w"), {"w": found})
        workspace = Workspace(slug=WORKSPACE_SLUG, name="bench")
        s.add(workspace)
        await s.flush()
        ws = workspace.id
        now = utcnow()
        for start in range(0, n, 5000):
            await s.execute(
                Article.__table__.insert(),
                [
                    {
                        "id": i,
                        "workspace_id": ws,
                        "slug": i,
                        "title": t,
                        "body": b,
                        "audience": "public",
                        "tags": [],
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i, t, b in texts[start : start + 5000]
                ],
            )
    if pgvector:
        await _copy_vectors(engine, ws, n)
    await engine.dispose()
    return str(ws)


async def _copy_vectors(engine: Any, ws: str, n: int) -> None:
    from pgvector_bulk import copy_passage_vectors, passage_rows

    embedder, _asked, index = build_embedder(n, 0)
    ids = [doc_id for doc_id, _t, _b in synthetic_texts(n)]
    pairs = zip(ids, synthetic_vectors(n), strict=True)
    rows = passage_rows(ws, index, pairs, model_id=embedder.model_id)
    copied, built = await copy_passage_vectors(engine, rows)
    print(f"pgvector: {n} passages, COPY {copied:.1f} s, HNSW build {built:.1f} s", file=sys.stderr)


# -- measuring (the code under test, possibly an older tree) ---------------------------------


def percentiles(samples: list[float]) -> list[float]:
    a = np.array(samples) * 1000
    return [round(float(np.percentile(a, p)), 2) for p in (50, 95, 99)]


async def measure(url: str, ws: str, n: int, n_queries: int, store: str) -> dict[str, Any]:
    from hybridcx.kit.db import create_engine, session_factory
    from hybridcx.knowledge.service import KnowledgeService

    embedder, asked, _index = build_embedder(n, n_queries)
    engine = create_engine(url)
    sessions = session_factory(engine)
    service = KnowledgeService(embedder=embedder)
    parts: dict[str, list[float]] = {p: [] for p in ("load", "lexical", "vector", "fusion")}
    whole: list[float] = []
    async with sessions() as s:
        started = time.perf_counter()
        index = await service.articles(s, ws)
        first_load = time.perf_counter() - started
        shared = not index.embed_locally
        if shared != (store == "pgvector"):
            raise SystemExit(f"expected the {store} store, the service chose otherwise")
        await service.search(s, ws, asked[0])  # warm-up: matrices, plans
    for q in asked:
        async with sessions() as s:
            t = time.perf_counter()
            index = await service.articles(s, ws)
            parts["load"].append(time.perf_counter() - t)
            t = time.perf_counter()
            await service.search(s, ws, q)
            whole.append(time.perf_counter() - t)
            if shared:
                await _shared_parts(service, s, ws, index, q, parts)
            else:
                _in_process_parts(index, q, parts)
    await engine.dispose()
    import hybridcx

    return {
        "code": str(Path(hybridcx.__file__).parent),
        "first_load_s": round(first_load, 1),
        "search": percentiles(whole),
        **{name: percentiles(samples) for name, samples in parts.items()},
    }


async def _shared_parts(
    service: Any, s: Any, ws: str, index: Any, q: str, parts: dict[str, list[float]]
) -> None:
    qvec = index.embedder.encode([q])[0]
    t = time.perf_counter()
    # The code before this bench scored into a dict (`bm25_scores`); after, into an array.
    scores = index.lexical_scores(q) if hasattr(index, "lexical_scores") else index.bm25_scores(q)
    lexical = index.lexical_top(q, CANDIDATES, scores=scores)
    parts["lexical"].append(time.perf_counter() - t)
    t = time.perf_counter()
    dense = await service._store.dense_scores(
        s, ws, qvec, n=CANDIDATES, public_only=True, also=lexical
    )
    parts["vector"].append(time.perf_counter() - t)
    t = time.perf_counter()
    index.fuse(q, dense, 5, bm25=scores)
    parts["fusion"].append(time.perf_counter() - t)


def _in_process_parts(index: Any, q: str, parts: dict[str, list[float]]) -> None:
    matrix = index._get_matrix()
    qvec = index.embedder.encode([q])[0]
    t = time.perf_counter()
    index._lexical_scores(q, matrix)
    lexical = time.perf_counter() - t
    t = time.perf_counter()
    if hasattr(matrix, "dense"):  # one matrix with the weights folded in
        _ = matrix.dense @ qvec
    else:
        _ = 0.5 * (matrix.titles @ qvec) + 0.5 * (matrix.passages @ qvec)
    vector = time.perf_counter() - t
    t = time.perf_counter()
    index.search(q, 5)
    total = time.perf_counter() - t
    parts["lexical"].append(lexical)
    parts["vector"].append(vector)
    parts["fusion"].append(max(0.0, total - lexical - vector))


# -- driver ----------------------------------------------------------------------------------


def run_worker(tree: Path, store: str, url: str, ws: str, n: int, n_queries: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": f"{tree / 'src'}{os.pathsep}{REPO}"}
    args = [sys.executable, __file__, "--worker", store, "--url", url, "--workspace", ws]
    args += ["--passages", str(n), "--queries", str(n_queries)]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise SystemExit(f"worker failed ({tree}, {store}, {n}):\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def minilm_times(n_queries: int) -> list[float] | None:
    try:
        from hybridcx.nlu.embeddings import shared_embedder

        model = shared_embedder()
        model.encode(["warm up"])
    except Exception as exc:  # the model files are optional for this bench
        print(f"MiniLM not timed: {exc}", file=sys.stderr)
        return None
    _e, asked, _i = build_embedder(10, n_queries)
    times = []
    for q in asked:
        t = time.perf_counter()
        model.encode([q])
        times.append(time.perf_counter() - t)
    return percentiles(times)


def print_table(results: list[dict[str, Any]]) -> None:
    print("| passages | store | code (questions) | search | load | lexical | vector | fusion |")
    print("|---:|---|---|---|---|---|---|---|")
    for r in results:
        cells = [" / ".join(f"{x:g}" for x in r[p]) for p in PARTS]
        code = f"{r['tree']} ({r['queries']})"
        print(f"| {r['passages']:,} | {r['store']} | {code} | " + " | ".join(cells) + " |")
    print("(milliseconds, p50 / p95 / p99)")


PARTS = ("search", "load", "lexical", "vector", "fusion")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--passages", default="100000", help="sizes, comma-separated")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--before", default=None, help="git revision to compare with")
    parser.add_argument(
        "--before-queries", type=int, default=None, help="fewer questions for the slow old code"
    )
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--stores", default="sqlite,pgvector")
    parser.add_argument("--minilm", action="store_true")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--url", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--workspace", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        result = asyncio.run(
            measure(args.url, args.workspace, int(args.passages), args.queries, args.worker)
        )
        print(json.dumps(result))
        return
    sys.path.insert(0, str(REPO))
    sizes = [int(x) for x in args.passages.split(",")]
    stores = args.stores.split(",")
    scratch = Path(tempfile.mkdtemp(prefix="hybridcx-kb-bench-"))
    trees = [("after", REPO)]
    if args.before:
        before = scratch / "before"
        before.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", args.before, "src"], capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(before)], input=archive.stdout, check=True)
        trees.insert(0, (f"before {args.before}", before))
    bundled = None
    pg_url = args.database_url
    results: list[dict[str, Any]] = []
    try:
        if "pgvector" in stores and pg_url is None:
            from tests.pgvector_server import BundledPostgres

            bundled = BundledPostgres().start()
            pg_url = bundled.url
        for n in sizes:
            for store in stores:
                url = pg_url if store == "pgvector" else f"sqlite+aiosqlite:///{scratch}/kb{n}.db"
                assert url is not None
                ws = asyncio.run(load_database(url, n, pgvector=store == "pgvector"))
                for name, tree in trees:
                    count = args.queries if tree == REPO else args.before_queries or args.queries
                    r = run_worker(tree, store, url, ws, n, count)
                    r.update(passages=n, store=store, tree=name, queries=count)
                    print(json.dumps(r), file=sys.stderr)
                    results.append(r)
        print_table(results)
        if args.minilm:
            print(f"MiniLM, one question (not in the figures above): {minilm_times(50)} ms")
        print(f"load average (1, 5, 15 min): {[round(x, 1) for x in os.getloadavg()]}")
    finally:
        if bundled is not None:
            bundled.stop()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
