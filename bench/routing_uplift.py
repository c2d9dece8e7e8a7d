"""Predictive routing uplift: predictive vs longest-idle vs skills-based, interleaved, with CIs.

Runs `hybridcx simulate --compare-routing` over several seeds and prints the table (and the JSON
with --json). The numbers in docs/benchmarks.md ("Predictive routing uplift") come from:

    .venv/bin/python bench/routing_uplift.py --seeds 1,2,3 --contacts 2000 --agents 8

Each seed: a warm-up day of other traffic under longest-idle routing (the model's only history),
then the seed's day with the three strategies alternating in 30-minute slices."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from hybridcx.brain import load_brain
from hybridcx.config import Settings
from hybridcx.simulate.config import SimConfig
from hybridcx.simulate.routing import compare_routing, render_routing
from hybridcx.simulate.runner import Engine, policy_from


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--contacts", type=int, default=2000)
    p.add_argument("--warmup-contacts", type=int, default=None)
    p.add_argument("--agents", type=int, default=8)
    p.add_argument("--skill-spread", type=float, default=1.0)
    p.add_argument("--slice-minutes", type=float, default=30.0)
    p.add_argument("--model-dir", type=Path, default=None)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    started = time.perf_counter()
    engine = Engine.from_brain(load_brain(args.model_dir or Settings().effective_nlu_model_dir))
    result = compare_routing(
        engine,
        policy_from(None),
        seeds=[int(s) for s in args.seeds.split(",")],
        config=SimConfig(
            contacts=args.contacts, agents=args.agents, skill_spread=args.skill_spread
        ),
        warmup_contacts=args.warmup_contacts,
        slice_minutes=args.slice_minutes,
    )
    print(json.dumps(result, indent=2) if args.json else render_routing(result))
    print(f"wall time {time.perf_counter() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
