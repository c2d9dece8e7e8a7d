"""Sentence vectors of a whole training file, kept on disk outside the repository.

Training and benchmark runs encode tens of thousands of texts with MiniLM (minutes on one
core); the vectors depend only on the texts and the embedder, so they are computed once per
(texts, embedder) and read back from `.npy` files (no pickle) on later runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hybridcx.nlu.embeddings import TextEmbedder


def vectors_key(texts: Sequence[str], model_id: str) -> str:
    digest = hashlib.sha256(model_id.encode())
    for text in texts:
        digest.update(text.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:24]


CHUNK = 2048


def encode_cached(
    embedder: TextEmbedder, texts: Sequence[str], cache_dir: Path | None
) -> np.ndarray:
    """`embedder.encode(texts)`, read from `cache_dir` when it was computed before.

    Long lists are cached in chunks, so an interrupted run resumes where it stopped."""
    if cache_dir is None:
        return embedder.encode(list(texts))
    whole = Path(cache_dir) / f"vectors-{vectors_key(texts, embedder.model_id)}.npy"
    if len(texts) <= CHUNK or whole.is_file():
        return _encode_chunk(embedder, texts, Path(cache_dir))
    parts = [
        _encode_chunk(embedder, texts[i : i + CHUNK], Path(cache_dir))
        for i in range(0, len(texts), CHUNK)
    ]
    return np.vstack(parts)


def _encode_chunk(embedder: TextEmbedder, texts: Sequence[str], cache_dir: Path) -> np.ndarray:
    path = cache_dir / f"vectors-{vectors_key(texts, embedder.model_id)}.npy"
    if path.is_file():
        vectors = np.load(path, allow_pickle=False)
        if vectors.shape == (len(texts), embedder.dim):
            return vectors
    vectors = embedder.encode(list(texts))
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".tmp.npy")
    np.save(scratch, vectors)
    scratch.replace(path)
    return vectors


class CachingEmbedder:
    """A TextEmbedder whose batch encodes (training, dev sets) go through `encode_cached`;
    single messages are encoded directly (that is what latency figures measure)."""

    def __init__(self, inner: TextEmbedder, cache_dir: Path) -> None:
        self.inner = inner
        self.cache_dir = Path(cache_dir)

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dim(self) -> int:
        return self.inner.dim

    def encode(self, texts: list[str]) -> np.ndarray:
        if len(texts) < 64:
            return self.inner.encode(texts)
        return encode_cached(self.inner, texts, self.cache_dir)
