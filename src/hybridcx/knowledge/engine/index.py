"""Hybrid retrieval over passages: BM25 fused with MiniLM cosine, updated one document at a time.

Score of a passage = w_title * cos(query, title) + w_passage * cos(query, passage)
                     + w_lexical * BM25 / (the most BM25 the query could score).
Normalizing BM25 by its attainable maximum (sum of idf * (k1 + 1) over the query terms) keeps the
score in the same range whatever the corpus size, so one confidence calibration serves a
three-article test workspace and a thousand-article help centre. Weights were picked on the
StackFAQ dev queries (docs/benchmarks.md (Knowledge retrieval)); rank fusion (RRF) was measured and lost
because it gives the weaker lexical ranking as much say as the dense one.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

import numpy as np

from hybridcx.knowledge.engine.documents import Document, Passage, split_document
from hybridcx.knowledge.engine.errors import IndexFormatError
from hybridcx.knowledge.engine.lexical import BM25Index
from hybridcx.knowledge.engine.serialization import document_from_dict, document_to_dict
from hybridcx.knowledge.engine.text import tokenize
from hybridcx.nlu.embeddings import MINILM_MODEL_ID, TextEmbedder

SearchAudience = Literal["public", "all"]
INDEX_FORMAT = "hybridcx-knowledge-index"
INDEX_VERSION = 1
_JSON_FILE = "index.json"
_VECTORS_FILE = "vectors.npz"
#: Question vectors kept per index (a few turns' worth of distinct questions).
QUERY_VECTOR_CACHE = 256


@dataclass(frozen=True)
class RetrievalWeights:
    title: float = 0.5
    passage: float = 0.5
    lexical: float = 0.3


@dataclass(frozen=True)
class Hit:
    """One retrieved passage. Ranks are 1-based within the allowed passages (None: no match)."""

    doc_id: str
    passage_id: str
    title: str
    heading_path: tuple[str, ...]
    text: str
    url: str | None
    score: float
    lexical_rank: int | None
    dense_rank: int | None

    @property
    def heading(self) -> str:
        return " > ".join(self.heading_path)


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _passage_text(title: str, passage: Passage) -> str:
    parts = [title, passage.heading, passage.text]
    return ". ".join(p for p in parts if p)


def _default_embedder() -> TextEmbedder:
    from hybridcx.nlu.embeddings import shared_embedder

    return shared_embedder()


class KnowledgeIndex:
    """In-memory hybrid index of documents. Not thread-safe for writes; reads are pure.

    Vectors are cached by a hash of the text they embed, so `update` re-embeds only passages
    whose text (or title) changed, and `save`/`load` let a restart skip embedding entirely.
    """

    def __init__(
        self,
        embedder: TextEmbedder | Callable[[], TextEmbedder] | None = None,
        *,
        weights: RetrievalWeights | None = None,
        embed_locally: bool = True,
    ) -> None:
        """``embed_locally=False``: the vectors live in a shared store (pgvector); this index
        keeps the documents, passages and BM25 postings only, and ranks with `fuse`."""
        self.embed_locally = embed_locally
        self._embedder_arg = embedder or _default_embedder
        self._embedder: TextEmbedder | None = None
        self.weights = weights or RetrievalWeights()
        self._docs: dict[str, Document] = {}
        self._passages: dict[str, list[Passage]] = {}
        self._vectors: dict[str, np.ndarray] = {}
        self._bm25 = BM25Index()
        self._passage_of: dict[str, Passage] = {}
        self._query_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._query_lock = threading.Lock()
        self._matrix: _Matrix | None = None
        #: How many texts this index has sent to the embedder (for tests and metrics).
        self.embedded_texts = 0

    # -- documents -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._docs)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._docs

    def get(self, doc_id: str) -> Document | None:
        return self._docs.get(doc_id)

    def documents(self) -> list[Document]:
        return list(self._docs.values())

    def passages(self, doc_id: str) -> list[Passage]:
        return list(self._passages.get(doc_id, ()))

    @property
    def model_id(self) -> str:
        return self.embedder.model_id

    @property
    def embedder(self) -> TextEmbedder:
        if self._embedder is None:
            arg = self._embedder_arg
            if hasattr(arg, "encode"):
                self._embedder = cast(TextEmbedder, arg)
            else:
                self._embedder = cast(Callable[[], TextEmbedder], arg)()
        return self._embedder

    def add(self, docs: Iterable[Document]) -> int:
        """Add or replace documents; returns how many texts had to be embedded."""
        docs = list(docs)
        for doc in docs:
            self._remove_entries(doc.id)
            passages = split_document(doc)
            self._docs[doc.id] = doc
            self._passages[doc.id] = passages
            for p in passages:
                self._bm25.add(p.id, tokenize(f"{doc.title} {p.heading} {p.text}"))
                self._passage_of[p.id] = p
        self._bm25.maybe_merge()
        embedded = self._embed_missing(docs) if self.embed_locally else 0
        self._collect_garbage()
        self._matrix = None
        return embedded

    def update(self, doc: Document) -> int:
        """Replace one document; unchanged passages keep their vectors."""
        return self.add([doc])

    def remove(self, doc_id: str) -> bool:
        found = self._remove_entries(doc_id)
        if found:
            self._bm25.maybe_merge()
            self._collect_garbage()
            self._matrix = None
        return found

    def _remove_entries(self, doc_id: str) -> bool:
        if doc_id not in self._docs:
            return False
        for p in self._passages.pop(doc_id):
            self._bm25.remove(p.id)
            self._passage_of.pop(p.id, None)
        del self._docs[doc_id]
        return True

    def _wanted_texts(self, doc: Document) -> dict[str, str]:
        texts = {_text_hash(doc.title): doc.title}
        for p in self._passages[doc.id]:
            text = _passage_text(doc.title, p)
            texts[_text_hash(text)] = text
        return texts

    def vector_texts(self, doc_id: str) -> dict[str, tuple[str, str, str, str]]:
        """What a vector store holds for a document: passage id -> (passage text hash,
        passage text, title hash, title). The hashes are the keys of the local vector cache."""
        doc = self._docs[doc_id]
        title_hash = _text_hash(doc.title)
        out = {}
        for p in self._passages[doc_id]:
            text = _passage_text(doc.title, p)
            out[p.id] = (_text_hash(text), text, title_hash, doc.title)
        return out

    def _embed_missing(self, docs: list[Document]) -> int:
        missing: dict[str, str] = {}
        for doc in docs:
            for h, text in self._wanted_texts(doc).items():
                if h not in self._vectors:
                    missing[h] = text
        if missing:
            vectors = self.embedder.encode(list(missing.values()))
            for h, vec in zip(missing, vectors, strict=True):
                self._vectors[h] = np.asarray(vec, dtype=np.float32)
            self.embedded_texts += len(missing)
        return len(missing)

    def _collect_garbage(self) -> None:
        if not self._vectors:  # nothing cached (or the vectors live in a shared store)
            return
        live: set[str] = set()
        for doc in self._docs.values():
            live.update(self._wanted_texts(doc))
        for h in [h for h in self._vectors if h not in live]:
            del self._vectors[h]

    # -- search ----------------------------------------------------------------------------

    def query_vector(self, query: str) -> np.ndarray:
        """The query's embedding, cached per text: one customer question is searched by the
        answer, the output filter and agent assist, and each would run the model again."""
        with self._query_lock:
            vec = self._query_vectors.get(query)
            if vec is not None:
                self._query_vectors.move_to_end(query)
                return vec
        vec = np.asarray(self.embedder.encode([query])[0])
        with self._query_lock:
            self._query_vectors[query] = vec
            while len(self._query_vectors) > QUERY_VECTOR_CACHE:
                self._query_vectors.popitem(last=False)
        return vec

    def search(
        self,
        query: str,
        k: int = 5,
        *,
        audience: SearchAudience = "public",
        max_per_doc: int = 1,
    ) -> list[Hit]:
        """Best passages for a query; internal documents only when audience="all"."""
        if audience not in ("public", "all"):
            raise ValueError(f"audience must be 'public' or 'all', not {audience!r}")
        if not self.embed_locally:
            raise RuntimeError("this index's vectors live in a shared store: rank with fuse()")
        matrix = self._get_matrix()
        if not query.strip() or not matrix.rows:
            return []
        allowed = matrix.public if audience == "public" else np.ones(len(matrix.rows), bool)
        qvec = self.query_vector(query)
        w = self.weights
        dense = matrix.dense @ qvec
        lexical = self._lexical_scores(query, matrix)
        ranked = _Ranked(
            fused=np.where(allowed, dense + w.lexical * lexical, -np.inf),
            dense=np.where(allowed, dense, -np.inf),
            lexical=np.where(allowed & (lexical > 0), lexical, -np.inf),
        )
        # Sorting 100,000 scores three times cost more than the rest of the search: sort only
        # the best rows, and widen if the per-document cap leaves fewer than k hits there.
        width = max(64, 8 * k)
        while True:
            hits, complete = self._best_hits(matrix, ranked, width, k, max_per_doc)
            if complete or width >= len(matrix.rows):
                return hits
            width *= 8

    def _best_hits(
        self, matrix: _Matrix, ranked: _Ranked, width: int, k: int, max_per_doc: int
    ) -> tuple[list[Hit], bool]:
        hits: list[Hit] = []
        per_doc: dict[str, int] = {}
        for row in _best_rows(ranked.fused, width).tolist():
            if ranked.fused[row] == -np.inf or len(hits) >= k:
                return hits, True
            passage = matrix.rows[row]
            if per_doc.get(passage.doc_id, 0) >= max_per_doc:
                continue
            per_doc[passage.doc_id] = per_doc.get(passage.doc_id, 0) + 1
            lexical_rank = _rank_of(ranked.lexical, row) if ranked.lexical[row] > -np.inf else None
            dense_rank = _rank_of(ranked.dense, row)
            hits.append(self._hit(passage, float(ranked.fused[row]), lexical_rank, dense_rank))
        return hits, len(hits) >= k

    def _hit(
        self, passage: Passage, score: float, lexical_rank: int | None, dense_rank: int | None
    ) -> Hit:
        doc = self._docs[passage.doc_id]
        return Hit(
            doc_id=doc.id,
            passage_id=passage.id,
            title=doc.title,
            heading_path=passage.heading_path,
            text=passage.text,
            url=doc.url,
            score=score,
            lexical_rank=lexical_rank,
            dense_rank=dense_rank,
        )

    def bm25_scores(self, query: str) -> dict[str, float]:
        """Raw BM25 score of every passage sharing a term with the query."""
        return self._bm25.scores(tokenize(query))

    def lexical_scores(self, query: str) -> LexicalScores:
        """The same scores as `bm25_scores`, kept as an array (no dict of every match)."""
        tokens = tokenize(query)
        return LexicalScores(self._bm25, tokens, self._bm25.score_slots(tokens))

    def lexical_top(
        self,
        query: str,
        n: int,
        *,
        audience: SearchAudience = "public",
        scores: LexicalScores | None = None,
    ) -> list[str]:
        """The ids of the `n` passages with the best BM25 scores (candidates for `fuse`);
        ``scores``: `lexical_scores(query)` when the caller already has them."""
        arr = (scores or self.lexical_scores(query)).current()
        matched = np.flatnonzero(arr > 0)
        width = n
        while True:
            if width >= len(matched):
                candidates = matched
            else:
                values = arr[matched]
                cut = len(values) - width
                candidates = matched[values >= np.partition(values, cut)[cut]]
            best = []
            for slot in candidates.tolist():
                key = self._bm25.key_of(slot)
                if key is not None and (
                    audience == "all" or self._doc_of_passage(key).audience == "public"
                ):
                    best.append((float(arr[slot]), key))
            # Every passage left out scores below every candidate: n allowed candidates are
            # the n best allowed passages.
            if len(best) >= n or len(candidates) == len(matched):
                best.sort(key=lambda pair: (-pair[0], pair[1]))
                return [key for _score, key in best[:n]]
            width *= 4

    def _doc_of_passage(self, passage_id: str) -> Document:
        return self._docs[passage_id.rsplit("#", 1)[0]]

    def fuse(
        self,
        query: str,
        dense: dict[str, tuple[float, float]],
        k: int = 5,
        *,
        audience: SearchAudience = "public",
        max_per_doc: int = 1,
        bm25: Mapping[str, float] | None = None,
    ) -> list[Hit]:
        """Best passages among candidates whose dense scores come from a vector store.

        ``dense`` maps passage id -> (cos(query, title), cos(query, passage)); the score of each
        candidate is the same fused score `search` computes over every passage. ``bm25``:
        `lexical_scores(query)` when the caller already has them.
        """
        if audience not in ("public", "all"):
            raise ValueError(f"audience must be 'public' or 'all', not {audience!r}")
        if not query.strip():
            return []
        w = self.weights
        tokens = tokenize(query)
        attainable = sum(self._bm25.idf(t) for t in set(tokens)) * (self._bm25.k1 + 1.0)
        if attainable <= 0:
            bm25 = {}
        elif bm25 is None:
            bm25 = self.lexical_scores(query)
        rows: list[tuple[float, float, float, Passage]] = []
        for pid, (title_cos, passage_cos) in dense.items():
            passage = self._passage_of.get(pid)
            if passage is None:  # removed since the store was read
                continue
            if audience == "public" and self._docs[passage.doc_id].audience != "public":
                continue
            d = w.title * title_cos + w.passage * passage_cos
            lex = bm25.get(pid, 0.0) / attainable if attainable > 0 else 0.0
            rows.append((d + w.lexical * lex, d, lex, passage))
        rows.sort(key=lambda r: (-r[0], r[3].id))
        dense_order = {r[3].id: i for i, r in enumerate(sorted(rows, key=lambda r: -r[1]), 1)}
        lex_order = {
            r[3].id: i
            for i, r in enumerate(sorted((r for r in rows if r[2] > 0), key=lambda r: -r[2]), 1)
        }
        hits: list[Hit] = []
        per_doc: dict[str, int] = {}
        for score, _d, _lex, passage in rows:
            if len(hits) >= k:
                break
            if per_doc.get(passage.doc_id, 0) >= max_per_doc:
                continue
            per_doc[passage.doc_id] = per_doc.get(passage.doc_id, 0) + 1
            hits.append(
                self._hit(passage, float(score), lex_order.get(passage.id), dense_order[passage.id])
            )
        return hits

    def _lexical_scores(self, query: str, matrix: _Matrix) -> np.ndarray:
        tokens = tokenize(query)
        attainable = sum(self._bm25.idf(t) for t in set(tokens)) * (self._bm25.k1 + 1.0)
        if attainable <= 0:
            return np.zeros(len(matrix.rows), dtype=np.float32)
        scores = self._bm25.score_slots(tokens)
        return (scores[matrix.slots] / attainable).astype(np.float32)

    def _get_matrix(self) -> _Matrix:
        if self._matrix is None or self._matrix.generation != self._bm25.generation:
            self._matrix = _Matrix.build(
                self._docs, self._passages, self._vectors, self._bm25, self.weights
            )
        return self._matrix

    # -- persistence -----------------------------------------------------------------------

    def save(self, directory: Path | str) -> Path:
        """Write index.json (settings, documents) and vectors.npz (text hash -> vector).

        No pickle anywhere: loading an index from disk cannot run code.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        hashes = sorted(self._vectors)
        vectors = (
            np.stack([self._vectors[h] for h in hashes]).astype(np.float32)
            if hashes
            else np.zeros((0, 0), dtype=np.float32)
        )
        np.savez(directory / _VECTORS_FILE, hashes=np.array(hashes, dtype="U32"), vectors=vectors)
        payload = {
            "format": INDEX_FORMAT,
            "version": INDEX_VERSION,
            "model_id": self.model_id if self._vectors else MINILM_MODEL_ID,
            "weights": vars(self.weights),
            # BM25 postings are rebuilt on load: tokenizing is ~1000x cheaper than embedding.
            "documents": [document_to_dict(d) for d in self._docs.values()],
        }
        (directory / _JSON_FILE).write_text(json.dumps(payload, ensure_ascii=False), "utf-8")
        return directory

    @classmethod
    def load(
        cls,
        directory: Path | str,
        embedder: TextEmbedder | Callable[[], TextEmbedder] | None = None,
    ) -> KnowledgeIndex:
        """Load a saved index. Vectors of another model are dropped and re-embedded."""
        directory = Path(directory)
        try:
            payload = json.loads((directory / _JSON_FILE).read_text("utf-8"))
            with np.load(directory / _VECTORS_FILE, allow_pickle=False) as npz:
                hashes = [str(h) for h in npz["hashes"]]
                vectors = np.asarray(npz["vectors"], dtype=np.float32)
        except (OSError, ValueError, KeyError) as exc:
            raise IndexFormatError(f"Cannot read a knowledge index in {directory}: {exc}") from exc
        if payload.get("format") != INDEX_FORMAT or payload.get("version") != INDEX_VERSION:
            raise IndexFormatError(
                f"{directory} holds format {payload.get('format')!r} version "
                f"{payload.get('version')!r}; expected {INDEX_FORMAT!r} {INDEX_VERSION}. Rebuild "
                "it with `hybridcx kb import`."
            )
        index = cls(embedder, weights=RetrievalWeights(**payload["weights"]))
        docs = [document_from_dict(d) for d in payload["documents"]]
        if payload["model_id"] == index.model_id and len(hashes) == len(vectors):
            index._vectors = dict(zip(hashes, vectors, strict=True))
        index.add(docs)
        return index


class LexicalScores(Mapping[str, float]):
    """BM25 scores of one query per passage id, held as the index's score array.

    Reading a score after the index changed stays right: a compaction renumbers the slots, so
    the scores are computed again for the new numbering; passages added since score 0 (as they
    would in a dict taken before they came), removed ones are not found."""

    def __init__(self, bm25: BM25Index, tokens: list[str], scores: np.ndarray) -> None:
        self._bm25 = bm25
        self._tokens = tokens
        self._scores = scores
        self._generation = bm25.generation

    def current(self) -> np.ndarray:
        if self._generation != self._bm25.generation:
            self._scores = self._bm25.score_slots(self._tokens)
            self._generation = self._bm25.generation
        return self._scores

    def __getitem__(self, key: str) -> float:
        scores = self.current()
        slot = self._bm25.slot_of(key)
        if slot is None or slot >= len(scores) or scores[slot] <= 0:
            raise KeyError(key)
        return float(scores[slot])

    def __iter__(self) -> Iterator[str]:
        for slot in np.flatnonzero(self.current() > 0).tolist():
            key = self._bm25.key_of(slot)
            if key is not None:
                yield key

    def __len__(self) -> int:
        return int(np.count_nonzero(self.current() > 0))


@dataclass
class _Ranked:
    """Scores of every row, -inf where a row may not be returned."""

    fused: np.ndarray
    dense: np.ndarray
    lexical: np.ndarray


def _best_rows(scores: np.ndarray, width: int) -> np.ndarray:
    """The rows of the `width` best scores (and any tied with the last), in the order of a
    stable sort of the whole array (best first, ties by row)."""
    if width >= len(scores):
        return np.argsort(-scores, kind="stable")
    cut = len(scores) - width
    rows = np.flatnonzero(scores >= np.partition(scores, cut)[cut])
    return rows[np.lexsort((rows, -scores[rows]))]


def _rank_of(scores: np.ndarray, row: int) -> int:
    """1-based rank of a row in a stable sort of the scores, best first."""
    value = scores[row]
    return int(np.count_nonzero(scores > value) + np.count_nonzero(scores[:row] == value)) + 1


@dataclass
class _Matrix:
    rows: list[Passage]
    row_of: dict[str, int]
    #: w_title * title vector + w_passage * passage vector per row: the dense score is then
    #: one matrix product (at 100,000 passages reading the matrix is most of the search).
    dense: np.ndarray
    public: np.ndarray
    slots: np.ndarray  # each row's BM25 slot
    generation: int  # of the BM25 slot numbering

    @classmethod
    def build(
        cls,
        docs: dict[str, Document],
        passages: dict[str, list[Passage]],
        vectors: dict[str, np.ndarray],
        bm25: BM25Index,
        weights: RetrievalWeights,
    ) -> _Matrix:
        rows = [p for doc_id in docs for p in passages[doc_id]]
        if not rows:
            empty = np.zeros((0, 1), dtype=np.float32)
            none = np.zeros(0, dtype=np.int64)
            return cls([], {}, empty, np.zeros(0, bool), none, bm25.generation)
        dense = np.stack([vectors[_text_hash(docs[p.doc_id].title)] for p in rows])
        dense *= np.float32(weights.title)
        for i, p in enumerate(rows):
            dense[i] += (
                np.float32(weights.passage)
                * vectors[_text_hash(_passage_text(docs[p.doc_id].title, p))]
            )
        public = np.array([docs[p.doc_id].audience == "public" for p in rows], dtype=bool)
        slots = np.array([bm25.slot_of(p.id) for p in rows], dtype=np.int64)
        return cls(
            rows,
            {p.id: i for i, p in enumerate(rows)},
            dense,
            public,
            slots,
            bm25.generation,
        )
