"""Measure the safety layer: the input guard's false positives and cost on ordinary customer
messages, its catch rate on the red-team corpus, and the output filter's cost per reply.

    .venv/bin/python bench/safety_guard.py [--rounds 5]

Ordinary messages: every intent example of the demo company (src/hybridcx/demo/nlu.yaml).
Attacks: every turn of tests/redteam/corpus.yaml written out (encodings applied)."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.redteam.runner import expand, load_cases  # noqa: E402

from hybridcx.knowledge.engine.llm import SYSTEM_PROMPT  # noqa: E402
from hybridcx.nlu.data import DEMO_INTENTS_PATH  # noqa: E402
from hybridcx.pipeline.safety.injection import classify  # noqa: E402
from hybridcx.pipeline.safety.output import ProtectedData  # noqa: E402


def per_call_us(fn, items: list[str], rounds: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for item in items:
            fn(item)
        times.append((time.perf_counter() - start) / len(items))
    return round(statistics.median(times) * 1e6, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    data = yaml.safe_load(DEMO_INTENTS_PATH.read_text())
    ordinary = [t for intent, ex in data["intents"].items() if intent != "oos" for t in ex]
    out_of_scope = list(data["intents"].get("oos", []))
    attacks = [expand(t) for c in load_cases() for t in c["turns"]]
    flagged = [t for t in ordinary if classify(t).suspicious]
    abuse_only = [t for t in flagged if classify(t).abusive_only]
    protected = ProtectedData(customer_email="alex@example.com")
    protected.add("system_prompt", [SYSTEM_PROMPT])
    protected.add("internal_note", ["Customer is on the fraud watch list, do not refund " * 3])
    report = {
        "ordinary_messages": len(ordinary),
        "ordinary_flagged": len(flagged),
        "ordinary_flagged_only_as_abuse": len(abuse_only),
        "out_of_scope_messages": len(out_of_scope),
        "out_of_scope_flagged": sum(classify(t).suspicious for t in out_of_scope),
        "attack_turns": len(attacks),
        "attack_turns_flagged": sum(classify(t).suspicious for t in attacks),
        "guard_us_per_message": per_call_us(classify, ordinary, args.rounds),
        "output_filter_us_per_reply": per_call_us(protected.leaked, ordinary, args.rounds),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
