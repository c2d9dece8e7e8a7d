"""What the typo repair (hybridcx.nlu.spelling) buys and costs, through the real CLI.

A dev split is scored four times with one trained model: as written and with one typo per
message, each with the repair on (the product) and off (`nlu eval --no-spelling`). The typo
model is not the simulator's: in every message one word of four letters or more gets one edit
of a random kind (a letter left out, an extra letter, a wrong letter, or two neighbouring
letters swapped; seed 0). The noisy copy goes to --work (outside the repository).

Usage: .venv/bin/python bench/typo_robustness.py [--data ../shared/data] [--dataset hwu64]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import string
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def typo(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not long:
        return text
    i = rng.choice(long)
    w = words[i]
    j = rng.randrange(len(w))
    kind = rng.randrange(4)
    if kind == 0:
        w = w[:j] + w[j + 1 :]
    elif kind == 1:
        w = w[:j] + rng.choice(string.ascii_lowercase) + w[j:]
    elif kind == 2:
        w = w[:j] + rng.choice(string.ascii_lowercase.replace(w[j].lower(), "")) + w[j + 1 :]
    else:
        j = min(j, len(w) - 2)
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    words[i] = w
    return " ".join(words)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--work", type=Path, default=Path.home() / ".cache" / "hybridcx-bench")
    parser.add_argument("--dataset", default="hwu64", help="A folder with train.csv and dev.csv.")
    opts = parser.parse_args()
    folder = opts.data / opts.dataset
    with (folder / "dev.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rng = random.Random(0)
    noisy = opts.work / f"{opts.dataset}_dev_typos.csv"
    noisy.parent.mkdir(parents=True, exist_ok=True)
    with noisy.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, ["text", "label"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows({**r, "text": typo(rng, r["text"])} for r in rows)
    report = {}
    for name, test in (("clean", folder / "dev.csv"), ("one_typo", noisy)):
        for spelling in ("--spelling", "--no-spelling"):
            command = [
                str(Path(sys.executable).parent / "hybridcx"),
                "nlu",
                "eval",
                "--train",
                str(folder / "train.csv"),
                "--test",
                str(test),
                spelling,
                "--cache",
                str(opts.work),
                "--json",
            ]
            print(" ".join(command), file=sys.stderr)
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            metrics = json.loads(out)
            report[f"{name}/{spelling.lstrip('-')}"] = {
                k: metrics[k]
                for k in (
                    "accuracy",
                    "macro_f1",
                    "ece",
                    "in_scope_accuracy",
                    "oos_recall",
                    "flagged_oos_rate",
                    "in_scope_handoff_rate",
                )
                if k in metrics
            }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
