"""The array-backed BM25 index scores exactly as the per-posting Python scorer it replaced
(tests/knowledge/reference_bm25.py, kept as the oracle), through adds, removals, updates, fresh
segment merges and compactions; the hybrid index ranks as a full sort would."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np

from hybridcx.knowledge.engine import Document, KnowledgeIndex
from hybridcx.knowledge.engine.lexical import BM25Index
from hybridcx.knowledge.engine.text import tokenize
from tests.knowledge.conftest import HashingEmbedder
from tests.knowledge.reference_bm25 import BM25Index as ReferenceBM25

VOCABULARY = [f"t{i}" for i in range(40)]


def _tokens(rng: random.Random) -> list[str]:
    # Skewed, so that some terms are in most passages and some in a few.
    return rng.choices(
        VOCABULARY, [1 / (i + 1) for i in range(len(VOCABULARY))], k=rng.randint(1, 25)
    )


def _queries(rng: random.Random) -> list[list[str]]:
    return [rng.sample(VOCABULARY, rng.randint(1, 4)) + ["absent"] for _ in range(30)]


def test_scores_match_the_python_scorer_through_adds_removals_and_updates() -> None:
    rng = random.Random(7)
    new, old = BM25Index(merge_at=32), ReferenceBM25()
    keys = [f"doc{i}#{j}" for i in range(60) for j in range(3)]
    generations = set()
    for step in range(40):
        for _ in range(rng.randint(1, 25)):
            key = rng.choice(keys)
            if key in old and rng.random() < 0.4:
                new.remove(key)
                old.remove(key)
            else:  # an add, or an update when the key is there
                tokens = _tokens(rng)
                new.add(key, tokens)
                old.add(key, tokens)
        if step % 3:  # some batches leave the fresh segment and tombstones unmerged
            new.maybe_merge()
        generations.add(new.generation)
        assert len(new) == len(old) and all((k in new) == (k in old) for k in keys)
        for query in _queries(rng):
            assert new.scores(query) == old.scores(query)  # the same floats, not just close
            assert [new.idf(t) for t in query] == [old.idf(t) for t in query]
    assert len(generations) > 2  # compactions happened and renumbered the slots


def test_removing_every_key_leaves_no_scores() -> None:
    index = BM25Index(merge_at=4)
    for i in range(20):
        index.add(f"k{i}", ["alpha", "beta"] if i % 2 else ["alpha"])
    index.maybe_merge()
    for i in range(20):
        index.remove(f"k{i}")
    index.maybe_merge()
    assert len(index) == 0 and index.scores(["alpha", "beta"]) == {}
    index.add("again", ["beta"])
    assert list(index.scores(["beta"])) == ["again"]


def _corpus(rng: random.Random, n: int) -> list[Document]:
    words = [
        "refund",
        "parcel",
        "invoice",
        "password",
        "login",
        "courier",
        "warranty",
        "battery",
        "screen",
        "delivery",
        "voucher",
        "account",
        "order",
        "label",
    ]
    docs = []
    for i in range(n):
        body = (
            " ".join(rng.choices(words, k=12))
            + ".\n\n## More\n"
            + " ".join(rng.choices(words, k=8))
        )
        docs.append(
            Document(
                f"d{i}",
                " ".join(rng.sample(words, 3)),
                body,
                audience="internal" if i % 5 == 0 else "public",
            )
        )
    return docs


def _expected(index: KnowledgeIndex, query: str, k: int, audience: str) -> list[tuple[str, float]]:
    """The hits a full stable sort over every passage gives, scored with the oracle BM25."""
    oracle = ReferenceBM25()
    rows = [p for doc in index.documents() for p in index.passages(doc.id)]
    for p in rows:
        oracle.add(p.id, tokenize(f"{index.get(p.doc_id).title} {p.heading} {p.text}"))  # type: ignore[union-attr]
    tokens = tokenize(query)
    attainable = sum(oracle.idf(t) for t in set(tokens)) * (oracle.k1 + 1.0)
    bm25 = oracle.scores(tokens)
    matrix = index._get_matrix()
    qvec = index.embedder.encode([query])[0]
    titles = np.stack([index.embedder.encode([index.get(p.doc_id).title])[0] for p in rows])  # type: ignore[union-attr]
    texts = index.embedder.encode(
        [". ".join(x for x in (index.get(p.doc_id).title, p.heading, p.text) if x) for p in rows]  # type: ignore[union-attr]
    )
    dense = matrix.dense @ qvec  # the weights folded into one matrix: the same, to rounding
    assert np.allclose(dense, 0.5 * (titles @ qvec) + 0.5 * (texts @ qvec), atol=1e-6)
    lexical = np.array([bm25.get(p.id, 0.0) / attainable for p in matrix.rows], dtype=np.float32)
    allowed = matrix.public if audience == "public" else np.ones(len(rows), bool)
    fused = np.where(allowed, dense + 0.3 * lexical, -np.inf)
    hits: list[tuple[str, float]] = []
    seen: set[str] = set()
    for row in np.argsort(-fused, kind="stable"):
        if not allowed[row] or len(hits) >= k:
            break
        passage = matrix.rows[row]
        if passage.doc_id not in seen:
            seen.add(passage.doc_id)
            hits.append((passage.id, float(fused[row])))
    return hits


def test_hybrid_search_ranks_as_a_full_sort_through_edits(hashing: HashingEmbedder) -> None:
    rng = random.Random(3)
    docs = _corpus(rng, 120)
    index = KnowledgeIndex(hashing)
    index.add(docs)
    index._bm25.merge_at = 16  # merge and compact often on this small corpus
    for round_ in range(6):
        for doc in rng.sample(docs, 15):
            if rng.random() < 0.3:
                index.remove(doc.id)
            else:
                text = " ".join(rng.choices(["refund", "parcel", "late", "voucher"], k=6))
                index.update(replace(doc, body=f"{doc.body} {text}", version=round_ + 2))
        for query in ("refund for a late parcel", "login password", "voucher", "zzz"):
            for audience in ("public", "all"):
                for k in (1, 5, 40):
                    got = index.search(query, k, audience=audience)  # type: ignore[arg-type]
                    want = _expected(index, query, k, audience)
                    assert [(h.passage_id, h.score) for h in got] == want


def test_lexical_candidates_and_fusion_match_the_python_scorer(hashing: HashingEmbedder) -> None:
    rng = random.Random(5)
    index = KnowledgeIndex(hashing, embed_locally=False)
    index.add(_corpus(rng, 200))
    query = "refund parcel delivery"
    old = index.bm25_scores(query)
    public = sorted(
        ((s, key) for key, s in old.items() if index.get(key.split("#")[0]).audience == "public"),  # type: ignore[union-attr]
        key=lambda pair: (-pair[0], pair[1]),
    )
    scores = index.lexical_scores(query)
    assert dict(scores) == old
    assert index.lexical_top(query, 30, scores=scores) == [key for _s, key in public[:30]]
    dense = {key: (0.1, 0.2) for _s, key in public[:40]}
    assert index.fuse(query, dense, 10, bm25=scores) == index.fuse(query, dense, 10, bm25=old)
    # Scores read after the slots were renumbered (other requests edited articles meanwhile).
    generation = index._bm25.generation
    index._bm25.merge_at = 4
    for doc in index.documents()[:120]:
        index.remove(doc.id)
    assert index._bm25.generation != generation
    assert dict(scores) == index.bm25_scores(query)


def test_a_question_is_embedded_once_however_often_it_is_searched(
    hashing: HashingEmbedder, help_centre: list[Document]
) -> None:
    index = KnowledgeIndex(hashing)
    index.add(help_centre)
    hashing.calls.clear()
    first = index.search("How do I reset my password?")
    assert index.search("How do I reset my password?") == first
    assert hashing.calls == ["How do I reset my password?"]
