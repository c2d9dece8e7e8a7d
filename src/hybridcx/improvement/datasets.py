"""Training and evaluation data of the learning loop: the frozen evaluation set, the base
examples without it, and the SHA-256 fingerprints that identify a data set."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from hybridcx.nlu.data import load_examples
from hybridcx.nlu.errors import TrainingDataError

Example = tuple[str, str]

FROZEN_EVAL_PATH = Path(__file__).resolve().parent / "data" / "frozen_eval_v1.yaml"
FROZEN_EVAL_VERSION = "frozen-v1"
#: fingerprint(load_examples(FROZEN_EVAL_PATH)); a changed file is refused, not silently used.
FROZEN_EVAL_SHA256 = "be4569db9fe6c5eea18e33487de6800af7a33a06ad93251111e003c40234cd3f"


def fingerprint(examples: Iterable[Example]) -> str:
    """SHA-256 of the sorted "label<TAB>text" lines: the identity of a training or eval set."""
    lines = sorted(f"{label}\t{text}" for text, label in examples)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def frozen_eval_set(path: Path = FROZEN_EVAL_PATH) -> list[Example]:
    rows = load_examples(path)
    if path == FROZEN_EVAL_PATH and fingerprint(rows) != FROZEN_EVAL_SHA256:
        raise TrainingDataError(
            f"{path} does not match its fingerprint: the frozen evaluation set must not change "
            "(add a new versioned file instead)."
        )
    return rows


def without(examples: Sequence[Example], held_out: Sequence[Example]) -> list[Example]:
    """`examples` minus any row whose text is in `held_out` (case-insensitive)."""
    banned = {text.casefold() for text, _ in held_out}
    return [(t, lbl) for t, lbl in examples if t.casefold() not in banned]


def to_csv(examples: Sequence[Example]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["text", "label"])
    writer.writerows(examples)
    return out.getvalue()
