"""CPU cost of the sentiment model per message, given the turn's sentence vector (what it adds
to a turn once the vector is shared), next to the MiniLM encode that sharing saves.

Usage: .venv/bin/python bench/sentiment_latency.py [--data ../shared/data] [--vector-cache DIR]
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np

from hybridcx.nlu.sentiment_model import load_packaged_analyzer, normalise
from hybridcx.nlu.vector_cache import encode_cached

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument(
        "--vector-cache", type=Path, default=Path.home() / ".cache" / "hybridcx-bench" / "vectors"
    )
    opts = parser.parse_args()
    path = opts.data / "tweeteval_sentiment" / "dev.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        texts = [row["text"] for row in csv.DictReader(fh) if row.get("text")]
    analyzer = load_packaged_analyzer()
    vectors = encode_cached(analyzer.embedder, [normalise(t) for t in texts], opts.vector_cache)
    for text, vector in zip(texts[:50], vectors[:50], strict=True):
        analyzer.read(text, embedding=vector)  # warm-up
    read_ms = []
    for text, vector in zip(texts, vectors, strict=True):
        started = time.thread_time()
        analyzer.read(text, embedding=vector)
        read_ms.append((time.thread_time() - started) * 1000)
    encode_ms = []
    for text in texts[:200]:
        started = time.thread_time()
        analyzer.embedder.encode([normalise(text)])
        encode_ms.append((time.thread_time() - started) * 1000)
    for name, values in (("read with the turn's vector", read_ms), ("MiniLM encode", encode_ms)):
        p50, p99 = np.percentile(values, 50), np.percentile(values, 99)
        print(f"{name}: CPU p50 {p50:.3f} ms, p99 {p99:.3f} ms ({len(values)} messages)")


if __name__ == "__main__":
    main()
