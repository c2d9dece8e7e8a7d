"""BANKING77-OOS: in-scope accuracy, OOS recall by type (ID-OOS, OOD-OOS) and the share of
in-scope messages handed to people, through the real CLI (`hybridcx nlu eval`).

Dev is split in two random halves (seed 0): thresholds are picked on half A, rows of half B are
scored (and the halves swapped with --swap). Two rows: the intents alone, and the intents plus
the company's own "we do not do that" questions (`train_id_oos.csv`) as an out-of-scope class.
The carves go to --work (outside the repository); the test split is never read.

Usage: .venv/bin/python bench/banking77_oos.py [--data ../shared/data] [--work DIR] [--swap]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIELDS = ["text", "label", "oos_type"]


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--work", type=Path, default=Path.home() / ".cache" / "hybridcx-bench")
    parser.add_argument("--swap", action="store_true", help="Thresholds on B, scored on A.")
    parser.add_argument("--only", default="base,id_oos", help="base, id_oos or both.")
    opts = parser.parse_args()
    folder = opts.data / "banking77_oos"
    with (folder / "dev.csv").open(encoding="utf-8", newline="") as fh:
        dev = list(csv.DictReader(fh))
    random.Random(0).shuffle(dev)
    half_a, half_b = dev[: len(dev) // 2], dev[len(dev) // 2 :]
    if opts.swap:
        half_a, half_b = half_b, half_a
    tag = "ba" if opts.swap else "ab"
    tune = write(opts.work / f"b77oos_dev_{tag}_tune.csv", half_a)
    score = write(opts.work / f"b77oos_dev_{tag}_score.csv", half_b)
    clean = write(
        opts.work / f"b77oos_dev_{tag}_score_clean.csv",
        [r for r in half_b if r["consistent_with_banking77"] != "0"],
    )
    trains = {
        "base": [folder / "train.csv"],
        "id_oos": [folder / "train.csv", folder / "train_id_oos.csv"],
    }
    report = {}
    for name in opts.only.split(","):
        args = [arg for path in trains[name] for arg in ("--train", str(path))]
        for label, test in (("all_rows", score), ("clean_rows", clean)):
            command = [
                str(Path(sys.executable).parent / "hybridcx"),
                "nlu",
                "eval",
                *args,
                "--dev",
                str(tune),
                "--test",
                str(test),
                "--cache",
                str(opts.work),
                "--json",
            ]
            print(" ".join(command), file=sys.stderr)
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            report[f"{name}/{label}"] = json.loads(out)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
