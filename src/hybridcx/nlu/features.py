"""TF-IDF word and character n-gram features whose state saves as plain JSON and arrays."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

_WORD = {"analyzer": "word", "ngram_range": (1, 2), "token_pattern": r"(?u)\b\w+\b"}
_CHAR = {"analyzer": "char_wb", "ngram_range": (2, 5)}


def _vectorizer(kind: str, vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    params = _WORD if kind == "word" else _CHAR
    return TfidfVectorizer(
        lowercase=True,
        sublinear_tf=True,
        min_df=1 if vocabulary is not None else 2,
        dtype=np.float32,
        vocabulary=vocabulary,
        **params,  # type: ignore[arg-type]
    )


@dataclass
class TfidfFeaturizer:
    """Word 1-2 grams and char_wb 2-5 grams, each block L2-normalised."""

    word: TfidfVectorizer
    char: TfidfVectorizer
    _blocks: list[tuple[Callable[[str], list[str]], dict[str, int], np.ndarray, int]] = field(
        init=False, repr=False, compare=False, default_factory=list
    )

    @classmethod
    def fit(cls, texts: list[str]) -> TfidfFeaturizer:
        word, char = _vectorizer("word"), _vectorizer("char")
        word.fit(texts)
        char.fit(texts)
        return cls(word, char)

    @property
    def dim(self) -> int:
        return len(self.word.vocabulary_) + len(self.char.vocabulary_)

    def transform(self, texts: list[str]) -> sparse.csr_matrix:
        return sparse.hstack([self.word.transform(texts), self.char.transform(texts)]).tocsr()

    def sparse_row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Column indices and values of `transform([text])`, without building a sparse matrix.

        The per-message path: the same tokens (sklearn's own analyzers), counts, sublinear tf,
        idf and per-block L2 norm as `transform`, at a fraction of its fixed overhead.
        """
        if not self._blocks:
            offset = 0
            for vec in (self.word, self.char):
                idf = np.asarray(vec.idf_, dtype=np.float32)
                self._blocks.append((vec.build_analyzer(), vec.vocabulary_, idf, offset))
                offset += len(vec.vocabulary_)
        indices: list[np.ndarray] = []
        values: list[np.ndarray] = []
        for analyzer, vocabulary, idf, offset in self._blocks:
            counts = Counter(analyzer(text))
            cols, tf = [], []
            for token, count in counts.items():
                col = vocabulary.get(token)
                if col is not None:
                    cols.append(col)
                    tf.append(count)
            if not cols:
                continue
            col_arr = np.array(cols, dtype=np.int64)
            val = (np.log(np.array(tf, dtype=np.float32)) + np.float32(1.0)) * idf[col_arr]
            norm = np.sqrt(np.dot(val, val))
            indices.append(col_arr + offset)
            values.append(val / norm if norm > 0 else val)
        if not indices:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return np.concatenate(indices), np.concatenate(values)

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """JSON-able vocabularies and the idf arrays (to go in an npz)."""
        meta = {
            "word_vocabulary": {k: int(v) for k, v in self.word.vocabulary_.items()},
            "char_vocabulary": {k: int(v) for k, v in self.char.vocabulary_.items()},
        }
        arrays = {"word_idf": self.word.idf_, "char_idf": self.char.idf_}
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> TfidfFeaturizer:
        word = _vectorizer("word", meta["word_vocabulary"])
        char = _vectorizer("char", meta["char_vocabulary"])
        # A fixed vocabulary needs one fit call to validate it; the idf is then overwritten.
        word.fit(["x"])
        char.fit(["x"])
        word.idf_ = arrays["word_idf"]
        char.idf_ = arrays["char_idf"]
        return cls(word, char)
