"""The product's sentiment and emotion model: one reading per customer message.

Features: the message's MiniLM sentence vector (the turn's own vector when the caller already
has it), hashed word 1-2-grams (no vocabulary to ship), VADER's four scores and the emotion cues
of `emotion_lexicon`. A multinomial logistic regression gives the polarity; a temperature and
per-class biases fitted on a dev carve make its probabilities calibrated; decision offsets
tuned for macro recall pick the label. A small logistic "upset" head over the polarity and the
cues is the escalation signal. Saved as JSON + npz (no pickle); the shipped files are checked
against pinned SHA-256 values at load time.
"""

from __future__ import annotations

import json
import re
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hybridcx.nlu.calibration import softmax
from hybridcx.nlu.embeddings import TextEmbedder, sha256_file
from hybridcx.nlu.emotion_lexicon import EMOTIONS, N_CUE_FEATURES, Cues, cues
from hybridcx.nlu.errors import ModelIntegrityError, ModelNotFoundError

FORMAT = "hybridcx-sentiment-model"
FORMAT_VERSION = 1
META_FILE, ARRAYS_FILE = "sentiment.json", "sentiment.npz"
LABELS = ("negative", "neutral", "positive")
HASH_BITS = 15
N_VADER = 4
#: The model shipped in the package (trained by `hybridcx sentiment train`, see
#: docs/benchmarks.md) and the SHA-256 of its arrays; the JSON carries the same hash.
PACKAGED_MODEL_DIR = Path(__file__).parent / "assets"
PACKAGED_ARRAYS_SHA256 = "b7e9cade6609891158623acbe53f3728e8a9573b907eec829a2f8dc03c161230"

_MENTION = re.compile(r"@\w+")
_URL = re.compile(r"https?://\S+")
_TOKEN = re.compile(r"[a-z0-9']+|[!?]")


def normalise(text: str) -> str:
    """Tweets and chats alike: handles and links carry no sentiment of their own."""
    return _URL.sub("http", _MENTION.sub("@user", text)).strip()


def hashed_ngrams(text: str, bits: int = HASH_BITS) -> tuple[np.ndarray, np.ndarray]:
    """Columns and values of the L2-normalised, sublinear-tf word 1-2-gram vector."""
    tokens = _TOKEN.findall(text.lower())
    grams = tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
    if not grams:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    mask = (1 << bits) - 1
    counts = Counter(zlib.crc32(g.encode()) & mask for g in grams)
    cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
    values = np.log(np.fromiter(counts.values(), dtype=np.float32, count=len(counts))) + 1.0
    return cols, values / np.float32(np.sqrt(np.dot(values, values)))


def dense_features(text: str, found: Cues | None = None) -> np.ndarray:
    """VADER's compound/pos/neg/neu and the emotion cues (the small dense block)."""
    from hybridcx.nlu.sentiment import _vader

    s = _vader().polarity_scores(text)
    vader = np.array([s["compound"], s["pos"], s["neg"], s["neu"]], dtype=np.float32)
    return np.concatenate([vader, (found or cues(text)).vector()])


N_DENSE = N_VADER + N_CUE_FEATURES


@dataclass(frozen=True)
class SentimentReading:
    """What the model reads in one message.

    `score` is P(positive) - P(negative) from the calibrated probabilities, in [-1, 1];
    `upset` (0..1) is the escalation signal; `emotion` names the strongest emotion at or above
    its threshold (None when none is)."""

    label: str
    probabilities: dict[str, float]
    score: float
    upset: float
    emotions: dict[str, float]
    emotion: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "score": self.score,
            "upset": self.upset,
            "probabilities": dict(self.probabilities),
            "emotions": dict(self.emotions),
            "emotion": self.emotion,
        }


@dataclass(eq=False)
class SentimentModel:
    """Polarity weights by feature block, calibration, decision offsets and the upset head."""

    embedding_weight: float
    coef_embedding: np.ndarray  # (3, dim)
    coef_hashed: np.ndarray  # (3, 2**HASH_BITS)
    coef_dense: np.ndarray  # (3, N_DENSE)
    intercept: np.ndarray  # (3,)
    temperature: float = 1.0
    calibration_bias: np.ndarray = field(default_factory=lambda: np.zeros(3))
    decision_offsets: np.ndarray = field(default_factory=lambda: np.zeros(3))
    # Upset head: logistic over [p_neg, p_pos, anger, frustration, anxiety, shouting, punct].
    upset_coef: np.ndarray = field(default_factory=lambda: np.zeros(7))
    upset_intercept: float = -4.0
    upset_threshold: float = 0.5
    emotion_threshold: float = 0.35
    embedder_id: str = ""
    info: dict[str, Any] = field(default_factory=dict)

    # ---- scoring ----------------------------------------------------------------------------

    def logits(
        self, texts: Sequence[str], vectors: np.ndarray, found: Sequence[Cues] | None = None
    ) -> np.ndarray:
        """Uncalibrated polarity logits of normalised texts with their sentence vectors."""
        out = (vectors.astype(np.float32) * np.float32(self.embedding_weight)) @ (
            self.coef_embedding.T
        )
        out = out + self.intercept
        for i, text in enumerate(texts):
            cols, values = hashed_ngrams(text)
            if len(cols):
                out[i] += values @ self.coef_hashed[:, cols].T
            out[i] += self.coef_dense @ dense_features(text, found[i] if found else None)
        return np.asarray(out, dtype=np.float64)

    def calibrated(self, logits: np.ndarray) -> np.ndarray:
        return softmax(logits / self.temperature + self.calibration_bias)

    def decide(self, probs: np.ndarray) -> np.ndarray:
        """Label indices: argmax of the log-probabilities plus the macro-recall offsets."""
        return np.argmax(np.log(np.clip(probs, 1e-12, None)) + self.decision_offsets, axis=-1)

    def upset_features(self, probs: np.ndarray, text: str, found: Cues | None = None) -> np.ndarray:
        c = found or cues(text)
        return np.array(
            [
                probs[0],
                probs[2],
                c.emotions["anger"],
                c.emotions["frustration"],
                c.emotions["anxiety"],
                c.shouting,
                c.repeated_punct,
            ],
            dtype=np.float64,
        )

    def upset_score(self, features: np.ndarray) -> np.ndarray:
        z = features @ self.upset_coef + self.upset_intercept
        return np.asarray(1.0 / (1.0 + np.exp(-z)))

    def read(self, text: str, vector: np.ndarray) -> SentimentReading:
        clean = normalise(text)
        found = cues(clean)
        probs = self.calibrated(self.logits([clean], vector.reshape(1, -1), [found]))[0]
        label = LABELS[int(self.decide(probs))]
        upset = float(self.upset_score(self.upset_features(probs, clean, found)))
        emotions = self.emotions(probs, found)
        strongest = max(EMOTIONS, key=lambda e: emotions[e])
        named = strongest if emotions[strongest] >= self.emotion_threshold else None
        return SentimentReading(
            label=label,
            probabilities={k: round(float(p), 4) for k, p in zip(LABELS, probs, strict=True)},
            score=round(float(probs[2] - probs[0]), 4),
            upset=round(upset, 4),
            emotions=emotions,
            emotion=named,
        )

    @staticmethod
    def emotions(probs: np.ndarray, found: Cues) -> dict[str, float]:
        """Each cue weighed by the polarity it goes with: an angry phrase in a message the model
        reads as positive ("terribly kind of you") counts for less."""
        c = found.emotions
        p_neg, p_pos = float(probs[0]), float(probs[2])
        loud = 0.15 * (found.shouting >= 0.5)
        negative = 0.4 + 0.6 * p_neg
        return {
            "anger": round(min(1.0, (c["anger"] + loud) * negative), 4),
            "frustration": round(min(1.0, (c["frustration"] + loud) * negative), 4),
            "anxiety": round(min(1.0, c["anxiety"] * (0.6 + 0.4 * p_neg)), 4),
            "confusion": round(min(1.0, c["confusion"] * (1.0 - 0.5 * p_pos)), 4),
            "satisfaction": round(min(1.0, c["satisfaction"] * (0.4 + 0.6 * p_pos)), 4),
        }

    # ---- persistence ------------------------------------------------------------------------

    def save(self, directory: Path | str) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        arrays = {
            "coef_embedding": self.coef_embedding.astype(np.float32),
            "coef_hashed": self.coef_hashed.astype(np.float16),
            "coef_dense": self.coef_dense.astype(np.float32),
            "intercept": self.intercept.astype(np.float32),
            "calibration_bias": np.asarray(self.calibration_bias, dtype=np.float64),
            "decision_offsets": np.asarray(self.decision_offsets, dtype=np.float64),
            "upset_coef": np.asarray(self.upset_coef, dtype=np.float64),
        }
        arrays_path = directory / ARRAYS_FILE
        np.savez_compressed(arrays_path, **arrays)  # type: ignore[arg-type]
        meta = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "labels": list(LABELS),
            "emotions": list(EMOTIONS),
            "hash_bits": HASH_BITS,
            "embedder": self.embedder_id,
            "embedding_weight": self.embedding_weight,
            "temperature": self.temperature,
            "upset_intercept": self.upset_intercept,
            "upset_threshold": self.upset_threshold,
            "emotion_threshold": self.emotion_threshold,
            "info": self.info,
            "arrays_sha256": sha256_file(arrays_path),
        }
        (directory / META_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        return directory

    @classmethod
    def load(
        cls, directory: Path | str, *, expected_arrays_sha256: str | None = None
    ) -> SentimentModel:
        directory = Path(directory)
        meta_path, arrays_path = directory / META_FILE, directory / ARRAYS_FILE
        if not meta_path.is_file() or not arrays_path.is_file():
            raise ModelNotFoundError(f"No trained sentiment model in {directory}.")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT or meta.get("format_version") != FORMAT_VERSION:
            raise ModelIntegrityError(f"{directory} is not a hybridcx sentiment model.")
        actual = sha256_file(arrays_path)
        for expected in (meta.get("arrays_sha256"), expected_arrays_sha256):
            if expected is not None and actual != expected:
                raise ModelIntegrityError(
                    f"{arrays_path} has SHA-256 {actual}, expected {expected}: the file was "
                    "changed or replaced; reinstall hybridcx or retrain the model."
                )
        if meta.get("hash_bits") != HASH_BITS:
            raise ModelIntegrityError(f"{directory} uses other hashed features; retrain it.")
        with np.load(arrays_path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
        return cls(
            embedding_weight=float(meta["embedding_weight"]),
            coef_embedding=arrays["coef_embedding"],
            coef_hashed=arrays["coef_hashed"].astype(np.float32),
            coef_dense=arrays["coef_dense"],
            intercept=arrays["intercept"],
            temperature=float(meta["temperature"]),
            calibration_bias=arrays["calibration_bias"],
            decision_offsets=arrays["decision_offsets"],
            upset_coef=arrays["upset_coef"],
            upset_intercept=float(meta["upset_intercept"]),
            upset_threshold=float(meta["upset_threshold"]),
            emotion_threshold=float(meta["emotion_threshold"]),
            embedder_id=str(meta.get("embedder", "")),
            info=dict(meta.get("info", {})),
        )


class SentimentAnalyzer:
    """The model with an embedder: reads a message, encoding it only when the caller has no
    sentence vector for it (the turn usually has one already)."""

    def __init__(self, model: SentimentModel, embedder: TextEmbedder) -> None:
        if model.embedder_id and model.embedder_id != embedder.model_id:
            raise ModelIntegrityError(
                f"The sentiment model was trained with embedder {model.embedder_id!r} but "
                f"{embedder.model_id!r} is loaded."
            )
        self.model = model
        self.embedder = embedder

    def read(self, text: str, *, embedding: np.ndarray | None = None) -> SentimentReading:
        if embedding is None:
            embedding = self.embedder.encode([normalise(text)])[0]
        return self.model.read(text, np.asarray(embedding, dtype=np.float32))

    def is_upset(self, reading: SentimentReading) -> bool:
        return reading.upset >= self.model.upset_threshold


def load_packaged_analyzer(embedder: TextEmbedder | None = None) -> SentimentAnalyzer:
    """The shipped model, hash-checked, over the shared MiniLM embedder."""
    from hybridcx.nlu.embeddings import shared_embedder

    model = SentimentModel.load(
        PACKAGED_MODEL_DIR, expected_arrays_sha256=PACKAGED_ARRAYS_SHA256 or None
    )
    return SentimentAnalyzer(model, embedder or shared_embedder())
