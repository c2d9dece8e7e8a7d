"""Frustration signal vs. RSiCS `rant_or_emotion` (precision/recall/F1, overall and per source).

Usage: .venv/bin/python bench/frustration_eval.py [--data ../shared/data] [--threshold 0.5]
           [--sweep 0.2,0.3,0.4,0.5,0.6]   (overall P/R/F1 at each threshold as well)
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import defaultdict
from pathlib import Path

from hybridcx.nlu.sentiment import analyze_sentiment

ROOT = Path(__file__).resolve().parents[1]


def prf(pairs: list[tuple[bool, bool]]) -> dict[str, float]:
    tp = sum(g and p for g, p in pairs)
    fp = sum(p and not g for g, p in pairs)
    fn = sum(g and not p for g, p in pairs)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "positives": tp + fn,
        "n": len(pairs),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--sweep", default="", help="Comma-separated extra thresholds.")
    opts = parser.parse_args()
    with (opts.data / "rsics" / "dev.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    by_source: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    scored = [(row, analyze_sentiment(row["text"]).frustration) for row in rows]
    for row, frustration in scored:
        pair = (row["label"] == "rant_or_emotion", frustration >= opts.threshold)
        by_source["all"].append(pair)
        by_source[row["source"]].append(pair)
    report: dict[str, object] = {k: prf(v) for k, v in sorted(by_source.items())}
    report["threshold"] = opts.threshold
    if opts.sweep:
        report["sweep"] = {
            t: prf([(r["label"] == "rant_or_emotion", f >= float(t)) for r, f in scored])
            for t in opts.sweep.split(",")
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
