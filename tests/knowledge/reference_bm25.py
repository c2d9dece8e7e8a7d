"""The BM25 scorer the engine used before its postings became NumPy arrays, kept as the oracle
of tests/knowledge/test_lexical.py: one Python dict of postings per term, scored posting by
posting.

An incremental BM25 index (Okapi BM25, Lucene idf) over passage keys.

bm25s is faster per query on large corpora but builds an immutable sparse matrix: changing one
article means re-indexing all of them. This inverted index adds and removes one passage in
microseconds and serializes to plain JSON, which is what an index that follows article edits
needs. Measured on StackFAQ (125 FAQs, ~800 passages): see docs/benchmarks.md (Knowledge retrieval).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any


class BM25Index:
    """Term postings per key; scores are computed on the fly, so updates cost O(tokens)."""

    def __init__(self, *, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self._postings: dict[str, dict[str, int]] = {}
        self._lengths: dict[str, int] = {}
        self._terms: dict[str, list[str]] = {}  # key -> its distinct terms, for removal
        self._total_length = 0

    def __len__(self) -> int:
        return len(self._lengths)

    def __contains__(self, key: object) -> bool:
        return key in self._lengths

    def add(self, key: str, tokens: list[str]) -> None:
        if key in self._lengths:
            self.remove(key)
        counts = Counter(tokens)
        for term, tf in counts.items():
            self._postings.setdefault(term, {})[key] = tf
        self._terms[key] = list(counts)
        self._lengths[key] = len(tokens)
        self._total_length += len(tokens)

    def remove(self, key: str) -> None:
        length = self._lengths.pop(key, None)
        if length is None:
            return
        self._total_length -= length
        for term in self._terms.pop(key, []):
            postings = self._postings.get(term)
            if postings is not None:
                postings.pop(key, None)
                if not postings:
                    del self._postings[term]

    def idf(self, term: str) -> float:
        n = len(self._lengths)
        df = len(self._postings.get(term, ()))
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def scores(self, tokens: list[str]) -> dict[str, float]:
        """BM25 score of every key sharing at least one term with the query."""
        if not self._lengths:
            return {}
        avgdl = self._total_length / len(self._lengths) or 1.0
        out: dict[str, float] = {}
        for term, qtf in Counter(tokens).items():
            postings = self._postings.get(term)
            if not postings:
                continue
            idf = self.idf(term) * qtf
            for key, tf in postings.items():
                norm = self.k1 * (1.0 - self.b + self.b * self._lengths[key] / avgdl)
                out[key] = out.get(key, 0.0) + idf * tf * (self.k1 + 1.0) / (tf + norm)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"k1": self.k1, "b": self.b, "postings": self._postings, "lengths": self._lengths}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BM25Index:
        index = cls(k1=float(data["k1"]), b=float(data["b"]))
        index._postings = {
            str(t): {str(k): int(v) for k, v in p.items()} for t, p in data["postings"].items()
        }
        index._lengths = {str(k): int(v) for k, v in data["lengths"].items()}
        index._total_length = sum(index._lengths.values())
        for term, postings in index._postings.items():
            for key in postings:
                index._terms.setdefault(key, []).append(term)
        return index
