"""A trained three-way sentiment classifier (TF-IDF n-grams + VADER scores, logistic regression).

VADER alone reaches about 0.60 macro recall on TweetEval; a linear model over n-grams with the
VADER scores as extra features learns the domain's vocabulary. Saved as JSON + npz, no pickle.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from hybridcx.nlu.calibration import softmax
from hybridcx.nlu.errors import ModelNotFoundError, TrainingDataError
from hybridcx.nlu.features import TfidfFeaturizer
from hybridcx.nlu.sentiment import _vader

_MENTION = re.compile(r"@\w+")
_VADER_WEIGHT = 2.0
META_FILE, ARRAYS_FILE = "sentiment.json", "sentiment.npz"


def _normalise(text: str) -> str:
    return _MENTION.sub("@user", text)


def _vader_features(texts: Sequence[str]) -> np.ndarray:
    rows = []
    for text in texts:
        s = _vader().polarity_scores(text)
        rows.append([s["compound"], s["pos"], s["neg"], s["neu"]])
    return np.array(rows, dtype=np.float32) * _VADER_WEIGHT


@dataclass(eq=False)
class SentimentClassifier:
    labels: list[str]
    featurizer: TfidfFeaturizer
    coef: np.ndarray  # (n_classes, tfidf_dim + 4)
    intercept: np.ndarray
    #: Added to the log-probabilities before the argmax (zeros unless tuned on a dev split).
    offsets: np.ndarray | None = None

    @classmethod
    def train(cls, examples: Sequence[tuple[str, str]], *, c: float = 1.0) -> SentimentClassifier:
        from sklearn.linear_model import LogisticRegression

        labels = sorted({label for _, label in examples})
        if len(labels) < 2:
            raise TrainingDataError("Sentiment training data needs at least two labels.")
        texts = [_normalise(t) for t, _ in examples]
        featurizer = TfidfFeaturizer.fit(texts)
        clf = LogisticRegression(C=c, max_iter=2000)
        clf.fit(cls._features(featurizer, texts), [label for _, label in examples])
        return cls(
            list(clf.classes_),
            featurizer,
            np.asarray(clf.coef_, dtype=np.float32),
            np.asarray(clf.intercept_, dtype=np.float32),
        )

    @staticmethod
    def _features(featurizer: TfidfFeaturizer, texts: list[str]) -> sparse.csr_matrix:
        vader = sparse.csr_matrix(_vader_features(texts))
        return sparse.hstack([featurizer.transform(texts), vader]).tocsr()

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        normalised = [_normalise(t) for t in texts]
        logits = self._features(self.featurizer, normalised) @ self.coef.T + self.intercept
        return softmax(np.asarray(logits))

    def predict(self, text: str) -> str:
        scores = np.log(np.clip(self.predict_proba([text])[0], 1e-12, None))
        if self.offsets is not None:
            scores = scores + self.offsets
        return self.labels[int(scores.argmax())]

    def save(self, directory: Path | str) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        meta, arrays = self.featurizer.state()
        arrays |= {"coef": self.coef, "intercept": self.intercept}
        if self.offsets is not None:
            arrays["offsets"] = np.asarray(self.offsets, dtype=np.float64)
        np.savez(directory / ARRAYS_FILE, **arrays)  # type: ignore[arg-type]
        meta["labels"] = self.labels
        (directory / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
        return directory

    @classmethod
    def load(cls, directory: Path | str) -> SentimentClassifier:
        directory = Path(directory)
        if not (directory / META_FILE).is_file():
            raise ModelNotFoundError(f"No trained sentiment model in {directory}.")
        meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
        with np.load(directory / ARRAYS_FILE, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
        return cls(
            list(meta["labels"]),
            TfidfFeaturizer.from_state(meta, arrays),
            arrays["coef"],
            arrays["intercept"],
            arrays.get("offsets"),
        )
