"""BANKING77-OOS: in-scope accuracy and OOS recall, in-domain (ID-OOS) and out-of-domain (OOD-OOS)
separately. Thresholds are picked on one random half of dev (seed 0), scored on the other half.

Usage: .venv/bin/python bench/banking77_oos.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from pathlib import Path

from hybridcx.nlu.evaluation import train_and_evaluate

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    opts = parser.parse_args()
    folder = opts.data / "banking77_oos"
    with (folder / "train.csv").open(encoding="utf-8", newline="") as fh:
        train = [(r["text"], r["label"]) for r in csv.DictReader(fh)]
    with (folder / "dev.csv").open(encoding="utf-8", newline="") as fh:
        dev = list(csv.DictReader(fh))
    random.Random(0).shuffle(dev)
    half_a, half_b = dev[: len(dev) // 2], dev[len(dev) // 2 :]
    result = train_and_evaluate(
        train,
        [(r["text"], r["label"]) for r in half_b],
        dev=[(r["text"], r["label"]) for r in half_a],
    )
    report = dict(result.metrics)
    for kind in ("id_oos", "ood_oos"):
        rows = [i for i, r in enumerate(half_b) if r["oos_type"] == kind]
        hits = sum(result.predictions[i] == "oos" for i in rows)
        report[f"{kind}_recall"] = round(hits / max(len(rows), 1), 4)
        report[f"{kind}_n"] = len(rows)
    clean = [
        i
        for i, r in enumerate(half_b)
        if r["oos_type"] == "in_scope" and r["consistent_with_banking77"] != "0"
    ]
    report["in_scope_accuracy_clean_rows"] = round(
        sum(result.predictions[i] == half_b[i]["label"] for i in clean) / max(len(clean), 1), 4
    )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
