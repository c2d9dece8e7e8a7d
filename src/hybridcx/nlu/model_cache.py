"""A cache of trained benchmark models outside the repository (`--cache DIR` of the evals).

The key covers the bytes of the training (and dev) files, the settings, and the source of the
modules that decide what a trained model is, so a code change never serves a stale model.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

_MODEL_SOURCES = (
    "classifier.py",
    "features.py",
    "embeddings.py",
    "calibration.py",
    "thresholds.py",
    "storage.py",
    "sentiment_model.py",
    "sentiment.py",
)


def cache_key(kind: str, files: list[Path | None], settings: str) -> str:
    digest = hashlib.sha256(f"{kind}\0{settings}\0".encode())
    for path in files:
        digest.update(b"-" if path is None else Path(path).read_bytes())
        digest.update(b"\0")
    here = Path(__file__).parent
    for name in _MODEL_SOURCES:
        digest.update((here / name).read_bytes())
    return f"{kind}-{digest.hexdigest()[:16]}"


def read_info(directory: Path) -> dict[str, float] | None:
    path = directory / "bench.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def write_info(directory: Path, info: dict[str, float]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "bench.json").write_text(json.dumps(info), encoding="utf-8")
