"""Saving and loading a trained IntentClassifier as JSON + npz (no pickle anywhere).

Layout of a model directory: `model.json` (labels, temperature, thresholds, config, TF-IDF
vocabularies, the embedder id, the SHA-256 of the arrays file) and `arrays.npz` (weights, idf,
example vectors), read with `allow_pickle=False`.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hybridcx.nlu.embeddings import TextEmbedder, sha256_file
from hybridcx.nlu.errors import ModelIntegrityError, ModelNotFoundError
from hybridcx.nlu.features import TfidfFeaturizer
from hybridcx.nlu.thresholds import OOSThresholds

if TYPE_CHECKING:
    from hybridcx.nlu.classifier import IntentClassifier

FORMAT = "hybridcx-intent-classifier"
FORMAT_VERSION = 1
META_FILE, ARRAYS_FILE = "model.json", "arrays.npz"


def save_classifier(model: IntentClassifier, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {
        "coef_embedding": model.weights.embedding,
        "coef_tfidf": model.weights.tfidf,
        "intercept": model.weights.intercept,
        "example_vectors": model.example_vectors,
    }
    meta: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "embedder": model.embedder.model_id,
        "labels": model.labels,
        "temperature": model.temperature,
        "thresholds": dataclasses.asdict(model.thresholds),
        "config": dataclasses.asdict(model.config),
        "tfidf": None,
    }
    if model.featurizer is not None:
        tfidf_meta, tfidf_arrays = model.featurizer.state()
        meta["tfidf"] = tfidf_meta
        arrays.update(tfidf_arrays)
    arrays_path = directory / ARRAYS_FILE
    np.savez(arrays_path, **arrays)  # type: ignore[arg-type]
    meta["arrays_sha256"] = sha256_file(arrays_path)
    (directory / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return directory


def load_classifier(directory: Path, *, embedder: TextEmbedder) -> IntentClassifier:
    from hybridcx.nlu.classifier import ClassifierConfig, IntentClassifier, LinearWeights

    meta_path, arrays_path = directory / META_FILE, directory / ARRAYS_FILE
    if not meta_path.is_file() or not arrays_path.is_file():
        raise ModelNotFoundError(
            f"No trained intent model in {directory}; run `hybridcx nlu train --out {directory}`."
        )
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    _check_meta(meta, arrays_path, embedder)
    with np.load(arrays_path, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    featurizer = None
    if meta["tfidf"] is not None:
        featurizer = TfidfFeaturizer.from_state(meta["tfidf"], arrays)
    return IntentClassifier(
        labels=list(meta["labels"]),
        weights=LinearWeights(arrays["coef_embedding"], arrays["coef_tfidf"], arrays["intercept"]),
        temperature=float(meta["temperature"]),
        thresholds=OOSThresholds(**meta["thresholds"]),
        featurizer=featurizer,
        example_vectors=arrays["example_vectors"],
        config=ClassifierConfig(**meta["config"]),
        embedder=embedder,
    )


def _check_meta(meta: dict[str, Any], arrays_path: Path, embedder: TextEmbedder) -> None:
    if meta.get("format") != FORMAT or meta.get("format_version") != FORMAT_VERSION:
        raise ModelIntegrityError(
            f"{arrays_path.parent} is not a version-{FORMAT_VERSION} hybridcx intent model; retrain it."
        )
    if sha256_file(arrays_path) != meta.get("arrays_sha256"):
        raise ModelIntegrityError(f"{arrays_path} does not match the hash in {META_FILE}.")
    if meta.get("embedder") != embedder.model_id:
        raise ModelIntegrityError(
            f"The model was trained with embedder {meta.get('embedder')!r} but "
            f"{embedder.model_id!r} is loaded; retrain the model."
        )
