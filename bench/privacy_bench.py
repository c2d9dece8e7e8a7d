"""Cost of the privacy layer: PII redaction (fast and full paths) and sealing values at rest.

    .venv/bin/python bench/privacy_bench.py

Prints per-call times measured on this machine (medians over several rounds).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from hybridcx.kit.keys import load_keyring
from hybridcx.privacy import pii

MESSAGES = [
    "Hi, I'm Maria Gonzalez, my order 100234 hasn't arrived, call me on +1 415 555 0132",
    "Please charge my card 4111 1111 1111 1111, cvv 123, and send the invoice to me@example.com",
    "Where is my parcel? It was supposed to arrive on 2024-05-01 at 42 Elm Road.",
    "Can you refund it to GB82 WEST 1234 5698 7654 32? Thanks, Tom Becker",
    "The XR-2000 shows error E42 after 3 minutes, I already restarted it twice.",
]


def per_call_us(fn: Callable[[str], object], *, rounds: int = 5, repeat: int = 40) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeat):
            for m in MESSAGES:
                fn(m)
        samples.append((time.perf_counter() - start) / (repeat * len(MESSAGES)))
    return statistics.median(samples) * 1e6


def main() -> None:
    pii.redact(MESSAGES[0])  # load the model once (not timed)
    with tempfile.TemporaryDirectory() as tmp:
        ring = load_keyring(keys=None, index_key=None, key_file=None, data_dir=Path(tmp))
        sealed = ring.encrypt(MESSAGES[0])
        rows = [
            ("mask_payment_data (on ingest)", per_call_us(pii.mask_payment_data)),
            ("redact_fast (logs, exports)", per_call_us(pii.redact_fast)),
            ("redact (full: + presidio/spaCy)", per_call_us(pii.redact, repeat=4)),
            ("AES-GCM seal one message", per_call_us(ring.encrypt)),
            ("AES-GCM open one message", per_call_us(lambda _m: ring.decrypt(sealed))),
            ("blind index (HMAC-SHA256)", per_call_us(ring.blind_index)),
        ]
    print(f"{'operation':<36} {'per call':>12}")
    for name, us in rows:
        print(f"{name:<36} {us:>9.1f} µs")


if __name__ == "__main__":
    main()
