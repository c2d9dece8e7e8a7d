"""An incremental BM25 index (Okapi BM25, Lucene idf) over passage keys, with numpy postings.

bm25s is faster to build on large corpora but makes an immutable sparse matrix: changing one
article means re-indexing all of them. This inverted index follows article edits instead:

- every key gets an integer slot; a term's postings are two arrays (slots, term frequencies),
  so scoring a term is a few vector operations however many passages contain it (scoring the
  postings one by one in Python took 100+ ms per question at 100,000 passages);
- new keys go to a small fresh segment (Python lists) that `maybe_merge` appends to the arrays
  once it is big enough, so adding one passage stays O(its tokens);
- a removed key only loses its slot (a tombstone); its postings stay in the arrays, masked at
  query time, until enough slots are dead that `maybe_merge` rebuilds the arrays and renumbers
  the slots (`generation` then changes, so callers holding slot numbers know to refresh them).

Scores are the same floating-point numbers as scoring each posting in Python in the same order.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

#: Postings in the fresh segment before they are appended to the arrays.
MERGE_AT = 4096


class BM25Index:
    """Term postings per key; scores are computed on the fly, so updates cost O(tokens)."""

    def __init__(self, *, k1: float = 1.2, b: float = 0.75, merge_at: int = MERGE_AT) -> None:
        self.k1 = k1
        self.b = b
        self.merge_at = merge_at
        #: Changes whenever slots are renumbered (a compaction).
        self.generation = 0
        self._slot_of: dict[str, int] = {}
        self._keys: list[str | None] = []  # slot -> key; None once removed
        self._terms: list[list[str]] = []  # slot -> its distinct terms, for removal
        self._lengths = np.zeros(64, dtype=np.float64)
        self._alive = np.zeros(64, dtype=bool)
        self._df: dict[str, int] = {}  # live keys per term
        self._main: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # term -> (slots, tfs)
        self._fresh: dict[str, tuple[list[int], list[int]]] = {}
        self._fresh_arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._fresh_postings = 0
        self._dead = 0
        self._total_length = 0

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, key: object) -> bool:
        return key in self._slot_of

    @property
    def slots(self) -> int:
        """Slots in use (live and dead): the length of `score_slots`'s array."""
        return len(self._keys)

    def slot_of(self, key: str) -> int | None:
        return self._slot_of.get(key)

    def key_of(self, slot: int) -> str | None:
        return self._keys[slot]

    def add(self, key: str, tokens: list[str]) -> None:
        if key in self._slot_of:
            self.remove(key)
        counts = Counter(tokens)
        slot = len(self._keys)
        self._grow(slot + 1)
        self._slot_of[key] = slot
        self._keys.append(key)
        self._terms.append(list(counts))
        self._lengths[slot] = len(tokens)
        self._alive[slot] = True
        self._total_length += len(tokens)
        for term, tf in counts.items():
            slots, tfs = self._fresh.setdefault(term, ([], []))
            slots.append(slot)
            tfs.append(tf)
            self._df[term] = self._df.get(term, 0) + 1
        self._fresh_postings += len(counts)
        if self._fresh_arrays:
            self._fresh_arrays = {}

    def remove(self, key: str) -> None:
        slot = self._slot_of.pop(key, None)
        if slot is None:
            return
        self._alive[slot] = False
        self._keys[slot] = None
        self._total_length -= int(self._lengths[slot])
        for term in self._terms[slot]:
            left = self._df[term] - 1
            if left:
                self._df[term] = left
            else:
                del self._df[term]
        self._terms[slot] = []
        self._dead += 1

    def maybe_merge(self) -> None:
        """Append a big enough fresh segment to the arrays; rebuild them once a quarter of the
        slots are dead. Call after a batch of changes (not after each key: a batch of 100,000
        keys then merges once)."""
        if self._dead > max(self.merge_at // 16, len(self._slot_of) // 4):
            self._compact()
        elif self._fresh_postings > self.merge_at:
            self._merge_fresh()

    def idf(self, term: str) -> float:
        n = len(self._slot_of)
        df = self._df.get(term, 0)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def score_slots(self, tokens: list[str]) -> np.ndarray:
        """BM25 score per slot (0 where the key shares no term with the query or is removed)."""
        out = np.zeros(len(self._keys), dtype=np.float64)
        if not self._slot_of:
            return out
        avgdl = self._total_length / len(self._slot_of) or 1.0
        lengths = self._lengths[: len(self._keys)]
        k1, b = self.k1, self.b
        for term, qtf in Counter(tokens).items():
            if term not in self._df:
                continue
            idf = self.idf(term) * qtf
            for slots, tfs in self._postings(term):
                norm = k1 * (1.0 - b + b * lengths[slots] / avgdl)
                out[slots] += idf * tfs * (k1 + 1.0) / (tfs + norm)
        if self._dead:
            out[~self._alive[: len(self._keys)]] = 0.0
        return out

    def scores(self, tokens: list[str]) -> dict[str, float]:
        """BM25 score of every key sharing at least one term with the query."""
        arr = self.score_slots(tokens)
        keys = self._keys
        return {keys[s]: float(arr[s]) for s in np.flatnonzero(arr > 0)}  # type: ignore[misc]

    def _postings(self, term: str) -> list[tuple[np.ndarray, np.ndarray]]:
        out = []
        if term in self._main:
            out.append(self._main[term])
        if term in self._fresh:
            arrays = self._fresh_arrays.get(term)
            if arrays is None:
                slots, tfs = self._fresh[term]
                arrays = (np.array(slots, dtype=np.int64), np.array(tfs, dtype=np.float64))
                self._fresh_arrays[term] = arrays
            out.append(arrays)
        return out

    def _grow(self, size: int) -> None:
        if size <= len(self._lengths):
            return
        capacity = max(size, 2 * len(self._lengths))
        self._lengths = np.concatenate([self._lengths, np.zeros(capacity - len(self._lengths))])
        self._alive = np.concatenate(
            [self._alive, np.zeros(capacity - len(self._alive), dtype=bool)]
        )

    def _merge_fresh(self) -> None:
        for term, (slots, tfs) in self._fresh.items():
            new = (np.array(slots, dtype=np.int64), np.array(tfs, dtype=np.float64))
            old = self._main.get(term)
            if old is not None:
                new = (np.concatenate([old[0], new[0]]), np.concatenate([old[1], new[1]]))
            self._main[term] = new
        self._fresh = {}
        self._fresh_arrays = {}
        self._fresh_postings = 0

    def _compact(self) -> None:
        self._merge_fresh()
        n = len(self._keys)
        live = np.flatnonzero(self._alive[:n])
        renumber = np.full(n, -1, dtype=np.int64)
        renumber[live] = np.arange(len(live))
        main: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        alive = self._alive[:n]
        for term, (slots, tfs) in self._main.items():
            if term not in self._df:
                continue
            keep = alive[slots]
            main[term] = (renumber[slots[keep]], tfs[keep])
        self._main = main
        self._keys = [self._keys[s] for s in live]
        self._terms = [self._terms[s] for s in live]
        self._slot_of = {key: i for i, key in enumerate(self._keys) if key is not None}
        lengths = self._lengths[live]
        self._lengths = np.zeros(max(64, len(live)), dtype=np.float64)
        self._lengths[: len(live)] = lengths
        self._alive = np.zeros(len(self._lengths), dtype=bool)
        self._alive[: len(live)] = True
        self._dead = 0
        self.generation += 1
