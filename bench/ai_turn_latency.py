"""Measure what the AI turn adds per message: understanding + assessment + policy + flow step.

Runs the production pipeline (the trained demo model, the default policy and flows) against an
in-memory company backend, so the database is excluded, one message at a time after warm-up.

    .venv/bin/python bench/ai_turn_latency.py [--model DIR] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from hybridcx.brain import load_brain
from hybridcx.flows.backend import Account, Order, Slot
from hybridcx.flows.memory_backend import MemoryBackend
from hybridcx.flows.spec import load_flows
from hybridcx.nlu.data import DEMO_INTENTS_PATH, load_examples
from hybridcx.pipeline.base import (
    ArticleRef,
    CustomerProfile,
    TranscriptLine,
    TurnContext,
    TurnServices,
)
from hybridcx.pipeline.factory import build_pipeline
from hybridcx.pipeline.policy import load_policy

NOW = datetime(2026, 11, 27, 9, 0)
FLOW_REPLIES = ["1001", "yes", "2", "never mind", "It's order #1001", "123456"]


class Knowledge:
    async def article(self, slug: str) -> ArticleRef | None:
        return ArticleRef(slug, slug.replace("-", " ").title(), "Open 9-19 Monday to Friday.")

    async def answer(self, query: str) -> None:
        return None


def backend() -> MemoryBackend:
    b = MemoryBackend()
    b.orders["1001"] = (
        Order("1001", "shipped", "UPS", "1Z", NOW.date() + timedelta(days=2), NOW),
        "alex@example.com",
    )
    b.accounts["alex@example.com"] = Account("AC-1", "active", "Explorer", 0.0)
    for i in range(6):
        slot = Slot(f"s{i}", NOW + timedelta(days=1, hours=i), "Downtown")
        b.slots[slot.id] = (slot, None)
    return b


async def measure(model_dir: Path, rounds: int) -> dict[str, float | int]:
    brain = load_brain(model_dir)
    pipeline = build_pipeline(
        load_policy(),
        understander=brain.understander,
        sentiment=brain.sentiment,
        flows=load_flows(),
    )
    texts = [t for t, _ in load_examples(DEMO_INTENTS_PATH)][::3] + FLOW_REPLIES
    customer = CustomerProfile("c1", "Alex", "alex@example.com")
    state: dict[str, object] = {}

    async def one(text: str) -> float:
        ctx = TurnContext(
            text=text,
            customer=customer,
            channel="webchat",
            status="bot",
            tier=1,
            transcript=[TranscriptLine("customer", "hi"), TranscriptLine("customer", text)],
            ai_state=dict(state),
            services=TurnServices(backend=backend(), knowledge=Knowledge()),
            now=NOW,
        )
        started = time.perf_counter()
        await pipeline.arun(ctx)
        return (time.perf_counter() - started) * 1000

    for text in texts[:20]:  # warm-up
        await one(text)
    timings = [await one(text) for _ in range(rounds) for text in texts]
    timings.sort()
    return {
        "messages": len(timings),
        "p50_ms": round(statistics.median(timings), 2),
        "p90_ms": round(timings[int(0.90 * (len(timings) - 1))], 2),
        "p99_ms": round(timings[int(0.99 * (len(timings) - 1))], 2),
        "max_ms": round(timings[-1], 2),
        "mean_chars": round(statistics.mean(len(t) for t in texts), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--model", type=Path, help="Trained model dir (default: train the demo model)."
    )
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = args.model or Path(tmp) / "nlu"
        print(json.dumps(asyncio.run(measure(model_dir, args.rounds)), indent=2))


if __name__ == "__main__":
    main()
