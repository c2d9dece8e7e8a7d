from __future__ import annotations

import numpy as np

from hybridcx.nlu.classifier import IntentClassifier
from hybridcx.nlu.features import TfidfFeaturizer

TEXTS = [
    "Where's my ORDER #1001??",
    "reset my password please",
    "héllo wörld ça va",
    "",
    "!!!",
    "zzzz qqqq",
    "where is my order where is my order",
]


def test_sparse_row_matches_sklearn_transform():
    featurizer = TfidfFeaturizer.fit(TEXTS * 2 + ["order status", "password reset"])
    matrix = featurizer.transform(TEXTS)
    for i, text in enumerate(TEXTS):
        cols, values = featurizer.sparse_row(text)
        row = matrix[i]
        expected = dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))
        got = dict(zip(cols.tolist(), values.tolist(), strict=True))
        assert set(got) == set(expected), text
        for col, value in expected.items():
            assert abs(got[col] - value) < 1e-6


def test_single_message_logits_match_the_batch_path(demo_model: IntentClassifier):
    vectors = demo_model.embedder.encode(TEXTS)
    batch = demo_model._logits(TEXTS, vectors)
    single = np.vstack([demo_model._logits([t], vectors[i : i + 1]) for i, t in enumerate(TEXTS)])
    assert np.abs(batch - single).max() < 1e-4
    assert (batch.argmax(axis=1) == single.argmax(axis=1)).all()
