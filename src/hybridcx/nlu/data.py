"""Loading intent examples from YAML (`intents: {name: [examples]}`) or CSV (`text,label`)."""

from __future__ import annotations

import csv
from pathlib import Path

import yaml

from hybridcx.nlu.errors import TrainingDataError

DEMO_INTENTS_PATH = Path(__file__).resolve().parent.parent / "demo" / "nlu.yaml"


def load_examples(path: Path | str) -> list[tuple[str, str]]:
    """(text, label) pairs from a `.yaml`/`.yml` or `.csv` file."""
    path = Path(path)
    if not path.is_file():
        raise TrainingDataError(f"Training data not found: {path}")
    if path.suffix.lower() in {".yaml", ".yml"}:
        return _from_yaml(path)
    if path.suffix.lower() == ".csv":
        return _from_csv(path)
    raise TrainingDataError(f"{path}: expected a .yaml, .yml or .csv file.")


def _from_yaml(path: Path) -> list[tuple[str, str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    intents = data.get("intents") if isinstance(data, dict) else None
    if not isinstance(intents, dict):
        raise TrainingDataError(f"{path}: expected a mapping `intents: {{name: [examples]}}`.")
    examples: list[tuple[str, str]] = []
    for name, texts in intents.items():
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise TrainingDataError(f"{path}: intent {name!r} must be a list of strings.")
        examples.extend((t.strip(), str(name)) for t in texts if t.strip())
    return examples


def _from_csv(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"text", "label"} <= set(reader.fieldnames):
            raise TrainingDataError(f"{path}: expected a header with `text` and `label` columns.")
        return [(row["text"].strip(), row["label"].strip()) for row in reader if row["text"]]
