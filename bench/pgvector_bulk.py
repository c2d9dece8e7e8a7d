"""Bulk-load passage vectors for the knowledge benches (kb_search.py, vector_search.py): the rows
the service would write, with its own text hashes, in one COPY, then the HNSW index built once
(building it row by row while copying would take many times longer)."""

from __future__ import annotations

import io
import time
from collections.abc import Iterable
from typing import Any

import numpy as np

INDEX = "ix_knowledge_passage_vectors_hnsw"


def vector_literal(vec: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.5f}" for x in vec) + "]"


def passage_rows(
    ws: str, index: Any, vectors: Iterable[tuple[str, np.ndarray]], *, model_id: str
) -> bytes:
    """COPY text rows for (article id, its vector) pairs: title and passages share the vector.
    ``index``: a `KnowledgeIndex` holding the articles (for the passage ids and text hashes)."""
    out = io.StringIO()
    for doc_id, vec in vectors:
        lit = vector_literal(vec)
        for pid, (th, _text, tih, _title) in index.vector_texts(doc_id).items():
            out.write(f"{ws}\tarticles\t{pid}\t{doc_id}\tt\t{model_id}\t{th}\t{tih}")
            out.write(f"\t{lit}\t{lit}\n")
    return out.getvalue().encode()


async def copy_passage_vectors(engine: Any, rows: bytes) -> tuple[float, float]:
    """COPY the rows into knowledge_passage_vectors and rebuild its HNSW index; returns the
    seconds each took."""
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        pg = raw.driver_connection
        assert pg is not None
        await pg.execute(f"DROP INDEX IF EXISTS {INDEX}")
        started = time.perf_counter()
        await pg.copy_to_table("knowledge_passage_vectors", source=io.BytesIO(rows), format="text")
        copied = time.perf_counter() - started
        await pg.execute("SET maintenance_work_mem = '1GB'")
        started = time.perf_counter()
        await pg.execute(
            f"CREATE INDEX {INDEX} ON knowledge_passage_vectors "
            "USING hnsw (embedding vector_ip_ops)"
        )
        built = time.perf_counter() - started
        await pg.execute("ANALYZE knowledge_passage_vectors")
    return copied, built
