"""Run the intent and sentiment benchmarks of issue 4 on the shared training/dev data.

Usage: .venv/bin/python bench/nlu_eval.py [--data ../shared/data] [--work ~/.cache/hybridcx-bench]
           [--only banking77,hwu64,clinc150,sentiment,fewshot]

Test splits are held elsewhere, so every number here is on a dev split: BANKING77 on a
stratified 10 % carve of train (seed 0); HWU64 on its dev split; CLINC150 with thresholds
picked on one random half of dev (seed 0) and scored on the other half; TweetEval and RSiCS
on their dev splits with the shipped sentiment model and VADER; BANKING77 few-shot: 10 examples
per intent drawn from the 90 % part (seeds 0-4), scored on the 10 % carve. Each benchmark runs
the real CLI (`hybridcx nlu eval ... --json`, `hybridcx sentiment eval ... --json`) in a
subprocess; carved CSVs and trained models go to --work, never into the repository.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HYBRIDCX = [sys.executable, "-m", "hybridcx.cli"]


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["text", "label"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def stratified_carve(rows: list[dict[str, str]], fraction: float, seed: int):
    by_label: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_label[row["label"]].append(row)
    rng = random.Random(seed)
    keep, carved = [], []
    for label in sorted(by_label):
        group = by_label[label][:]
        rng.shuffle(group)
        n = max(1, round(len(group) * fraction))
        carved += group[:n]
        keep += group[n:]
    return keep, carved


def halves(rows: list[dict[str, str]], seed: int):
    rows = rows[:]
    random.Random(seed).shuffle(rows)
    return rows[: len(rows) // 2], rows[len(rows) // 2 :]


def run(args: list[str]) -> dict[str, float]:
    print("$ hybridcx " + " ".join(args), file=sys.stderr, flush=True)
    out = subprocess.run(HYBRIDCX + args + ["--json"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--work", type=Path, default=Path.home() / ".cache" / "hybridcx-bench")
    parser.add_argument("--only", default="banking77,hwu64,clinc150,sentiment,fewshot")
    opts = parser.parse_args()
    data, work, only = opts.data, opts.work, set(opts.only.split(","))
    cache = ["--cache", str(work / "models")]
    results: dict[str, dict[str, float]] = {}
    if "banking77" in only:
        train, dev = stratified_carve(read(data / "banking77" / "train.csv"), 0.1, seed=0)
        results["banking77"] = run(
            [
                "nlu",
                "eval",
                "--train",
                str(write(work / "b77_train90.csv", train)),
                "--test",
                str(write(work / "b77_dev10.csv", dev)),
                *cache,
            ]
        )
    if "hwu64" in only:
        results["hwu64"] = run(
            [
                "nlu",
                "eval",
                "--train",
                str(data / "hwu64" / "train.csv"),
                "--test",
                str(data / "hwu64" / "dev.csv"),
                *cache,
            ]
        )
    if "clinc150" in only:
        dev_a, dev_b = halves(read(data / "clinc150" / "dev.csv"), seed=0)
        results["clinc150"] = run(
            [
                "nlu",
                "eval",
                "--train",
                str(data / "clinc150" / "train.csv"),
                "--dev",
                str(write(work / "clinc_dev_a.csv", dev_a)),
                "--test",
                str(write(work / "clinc_dev_b.csv", dev_b)),
                "--oos-label",
                "oos",
                *cache,
            ]
        )
    if "sentiment" in only:
        # The shipped model (trained by `hybridcx sentiment train`, calibrated on a carve of the
        # 2016 test file, never on these rows) against the VADER baseline, on TweetEval dev and
        # on the RSiCS requests (the escalation decision).
        tweets, rsics = data / "tweeteval_sentiment" / "dev.csv", data / "rsics" / "dev.csv"
        for name, test in (("tweeteval", tweets), ("rsics", rsics)):
            results[f"{name}_sentiment_vader"] = run(
                ["sentiment", "eval", "--model", "vader", "--test", str(test)]
            )
            results[f"{name}_sentiment_product"] = run(["sentiment", "eval", "--test", str(test)])
    if "fewshot" in only:
        train, dev = stratified_carve(read(data / "banking77" / "train.csv"), 0.1, seed=0)
        results["banking77_10shot"] = run(
            [
                "nlu",
                "eval",
                "--train",
                str(write(work / "b77_train90.csv", train)),
                "--test",
                str(write(work / "b77_dev10.csv", dev)),
                "--few-shot",
                "10",
                "--seeds",
                "5",
            ]
        )
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
