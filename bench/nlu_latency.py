"""Per-message latency of the full NLU step (intent + entities + sentiment) on the demo model.

Usage: .venv/bin/python bench/nlu_latency.py [--data src/hybridcx/demo/nlu.yaml] [--rounds 3]
Trains the demo model, warms up, then analyses every example text one at a time.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from hybridcx.nlu.classifier import IntentClassifier
from hybridcx.nlu.data import DEMO_INTENTS_PATH, load_examples
from hybridcx.nlu.engine import NLUEngine


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DEMO_INTENTS_PATH)
    parser.add_argument("--rounds", type=int, default=3)
    opts = parser.parse_args()
    examples = load_examples(opts.data)
    started = time.perf_counter()
    engine = NLUEngine(IntentClassifier.train(examples))
    train_seconds = time.perf_counter() - started
    texts = [t for t, _ in examples]
    now = datetime(2026, 11, 27, 10, 0)
    for text in texts[:20]:
        engine.analyze(text, now=now)
    # Wall-clock, and this thread's CPU time: on a machine shared with other jobs the second
    # shows what the step itself costs (ONNX runs on the calling thread with one intra-op thread).
    timings: dict[str, list[float]] = {"analyze": [], "predict": [], "analyze_cpu": []}
    for _ in range(opts.rounds):
        for text in texts:
            t0, c0 = time.perf_counter(), time.thread_time()
            engine.analyze(text, now=now)
            t1, c1 = time.perf_counter(), time.thread_time()
            engine.classifier.predict(text)
            t2 = time.perf_counter()
            timings["analyze"].append((t1 - t0) * 1000)
            timings["analyze_cpu"].append((c1 - c0) * 1000)
            timings["predict"].append((t2 - t1) * 1000)
    report: dict[str, float] = {"train_seconds": round(train_seconds, 2), "n": len(texts)}
    for name, values in timings.items():
        report[f"{name}_ms_p50"] = round(float(np.percentile(values, 50)), 3)
        report[f"{name}_ms_p99"] = round(float(np.percentile(values, 99)), 3)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
