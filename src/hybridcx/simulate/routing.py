"""Predictive vs longest-idle vs skills-based routing, on the same seeded traffic, interleaved.

For each seed:

1. **Warm-up**: a day of different traffic (seed + 10000) served by longest-idle routing with
   the same agents (same skills). The outcome model is trained from that run's event log only,
   through the same ``outcomes_from_events`` the server uses: survey answers, handle times,
   the AI's intent reading. The hidden skill table is never shown to it.
2. **Evaluation**: the seed's traffic, with the strategies **interleaved** in time slices
   (ON/OFF): slice k of queue time is routed by strategy k mod 3, so all three meet the same
   hours, staffing and customers' mix within one run.
3. **Uplift with confidence intervals**: contacts are grouped into cycles (one slice of each
   strategy); a cluster bootstrap resamples (seed, cycle) pairs with replacement and recomputes
   each strategy's metric over the contacts it routed; the 2.5th and 97.5th percentiles of
   predictive minus baseline are the 95% interval.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from hybridcx.pipeline.factory import build_pipeline
from hybridcx.pipeline.policy import RoutingPolicy
from hybridcx.queue.strategy import AssignmentStrategy, LongestIdleStrategy
from hybridcx.routing.model import OutcomeModel
from hybridcx.routing.store import StaticModelStore
from hybridcx.routing.strategy import PredictiveStrategy, SkillsBasedStrategy
from hybridcx.routing.training import outcomes_from_events
from hybridcx.simulate.config import T0, SimConfig
from hybridcx.simulate.model import Simulation
from hybridcx.simulate.services import seed_backend
from hybridcx.simulate.skills import DEMO_TEAMS
from hybridcx.simulate.traffic import Utterances, generate, load_utterances

ARMS = ("predictive", "longest_idle", "skills")
BASELINES = ("longest_idle", "skills")
METRICS = ("resolution", "handle_seconds", "wait_seconds", "abandonment")
WARMUP_SEED_OFFSET = 10_000


@dataclass(frozen=True)
class Routed:
    """One queued contact of an evaluation run, as the comparison needs it."""

    seed: int
    cycle: int
    arm: str
    answered: bool
    wait_seconds: float
    resolved: bool | None
    handle_seconds: float | None


def _run(
    config: SimConfig,
    engine: Any,
    policy: RoutingPolicy,
    utterances: Utterances,
    *,
    strategy: AssignmentStrategy,
    arms: dict[str, AssignmentStrategy] | None = None,
    slice_seconds: float = 1800.0,
) -> Simulation:
    contacts = generate(config, utterances)
    sim = Simulation(
        config,
        contacts=contacts,
        utterances=utterances,
        policy=policy,
        pipeline=build_pipeline(
            policy, understander=engine.understander, sentiment=engine.sentiment, flows=engine.flows
        ),
        flows=engine.flows,
        backend=seed_backend(contacts, days=int(config.hours // 24) + 2),
        knowledge=engine.knowledge,
        strategy=strategy,
        known_intents=engine.known_intents,
        arms=arms,
        slice_seconds=slice_seconds,
    )
    asyncio.run(sim.run())
    return sim


def train_from_warmup(sim: Simulation) -> OutcomeModel:
    """The outcome model from a simulation's own event log (what the server would learn)."""
    customers = {c.id: (c.segment == "vip", c.lifetime_value) for c in sim.contacts}
    end = T0 + timedelta(seconds=max(sim.last_work_at, sim.config.hours * 3600.0))
    outcomes = outcomes_from_events(sim.events, customers=customers, now=end)
    return OutcomeModel.train(outcomes, trained_at=end, teams=DEMO_TEAMS)


def strategies(model: OutcomeModel, **predictive: Any) -> dict[str, AssignmentStrategy]:
    # No wall-clock budget in virtual time: a decision over budget on a busy machine would
    # make a seed's run differ from one run to the next (the server keeps its 20 ms budget).
    predictive.setdefault("budget_ms", math.inf)
    return {
        "predictive": PredictiveStrategy(StaticModelStore(model), **predictive),
        "longest_idle": LongestIdleStrategy(),
        "skills": SkillsBasedStrategy(),
    }


def routed(sim: Simulation, seed: int, slice_seconds: float) -> list[Routed]:
    """Contacts queued in staffed hours (at night every strategy waits for the morning)."""
    cycle = slice_seconds * len(sim.arms or ARMS)
    cfg = sim.config
    out = []
    for c in sim.conversations:
        if c.queued_at is None or c.arm is None:
            continue
        if not cfg.open_hour <= (c.queued_at / 3600.0) % 24 < cfg.close_hour:
            continue
        answered = c.assigned_at is not None
        until = c.assigned_at if c.assigned_at is not None else (c.ended_at or c.queued_at)
        wait = until - c.queued_at
        out.append(
            Routed(
                seed=seed,
                cycle=int(c.queued_at // cycle),
                arm=c.arm,
                answered=answered,
                wait_seconds=max(0.0, float(wait or 0.0)),
                resolved=c.resolved,
                handle_seconds=c.handle_seconds,
            )
        )
    return out


def metric(rows: Sequence[Routed], name: str) -> float | None:
    if name == "resolution":
        vals = [float(r.resolved) for r in rows if r.resolved is not None]
    elif name == "handle_seconds":
        vals = [r.handle_seconds for r in rows if r.handle_seconds is not None]
    elif name == "wait_seconds":
        vals = [r.wait_seconds for r in rows if r.answered]
    else:
        vals = [0.0 if r.answered else 1.0 for r in rows]
    return sum(vals) / len(vals) if vals else None


def bootstrap_uplift(
    rows: Sequence[Routed],
    *,
    treatment: str = "predictive",
    baseline: str,
    resamples: int = 2000,
    seed: int = 0,
) -> dict[str, dict[str, float | None]]:
    """Treatment minus baseline per metric, with a 95% cluster-bootstrap interval over
    (seed, cycle) clusters."""
    clusters: dict[tuple[int, int], dict[str, list[Routed]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for r in rows:
        if r.arm in (treatment, baseline):
            clusters[(r.seed, r.cycle)][r.arm].append(r)
    keys = sorted(clusters)
    rng = random.Random(f"hybridcx-routing-bootstrap:{seed}")
    out: dict[str, dict[str, float | None]] = {}
    for name in METRICS:
        t_all = [r for k in keys for r in clusters[k][treatment]]
        b_all = [r for k in keys for r in clusters[k][baseline]]
        t, b = metric(t_all, name), metric(b_all, name)
        diffs = []
        for _ in range(resamples):
            pick = [keys[rng.randrange(len(keys))] for _ in keys]
            tt = metric([r for k in pick for r in clusters[k][treatment]], name)
            bb = metric([r for k in pick for r in clusters[k][baseline]], name)
            if tt is not None and bb is not None:
                diffs.append(tt - bb)
        diffs.sort()
        lo = diffs[int(0.025 * (len(diffs) - 1))] if diffs else None
        hi = diffs[int(0.975 * (len(diffs) - 1))] if diffs else None
        out[name] = {
            treatment: t,
            baseline: b,
            "uplift": None if t is None or b is None else t - b,
            "ci_low": lo,
            "ci_high": hi,
        }
    return out


def compare_routing(
    engine: Any,
    policy: RoutingPolicy,
    *,
    seeds: Sequence[int],
    config: SimConfig,
    warmup_contacts: int | None = None,
    slice_minutes: float = 30.0,
    utterances: Utterances | None = None,
    resamples: int = 2000,
    arms: Sequence[str] = ARMS,
) -> dict[str, Any]:
    """Warm up, train, and run the interleaved evaluation for every seed; the uplift table."""
    utterances = utterances or load_utterances()
    if arms[0] != "predictive" or not set(arms) <= set(ARMS):
        raise ValueError(f"arms: predictive first, then some of {BASELINES}")
    baselines = [a for a in arms if a != "predictive"]
    slice_seconds = slice_minutes * 60.0
    rows: list[Routed] = []
    per_seed = []
    for seed in seeds:
        base = replace(config, seed=seed, skill_seed=seed, skill_spread=config.skill_spread or 1.0)
        warm_cfg = replace(
            base, seed=seed + WARMUP_SEED_OFFSET, contacts=warmup_contacts or config.contacts
        )
        warm = _run(warm_cfg, engine, policy, utterances, strategy=LongestIdleStrategy())
        model = train_from_warmup(warm)
        sim = _run(
            base,
            engine,
            policy,
            utterances,
            strategy=LongestIdleStrategy(),
            arms={a: s for a, s in strategies(model).items() if a in arms},
            slice_seconds=slice_seconds,
        )
        seed_rows = routed(sim, seed, slice_seconds)
        rows.extend(seed_rows)
        per_seed.append(
            {
                "seed": seed,
                "warmup_outcomes": model.samples,
                "model_version": model.version,
                "queued": {a: sum(1 for r in seed_rows if r.arm == a) for a in arms},
                "predictive_decisions": dict(sim.decisions),
                "resolution": {
                    a: metric([r for r in seed_rows if r.arm == a], "resolution") for a in arms
                },
            }
        )
    return {
        "simulation": {
            "seeds": list(seeds),
            "contacts": config.contacts,
            "warmup_contacts": warmup_contacts or config.contacts,
            "agents": config.agents,
            "hours": config.hours,
            "skill_spread": config.skill_spread or 1.0,
            "slice_minutes": slice_minutes,
            "resamples": resamples,
            "strategies": list(arms),
        },
        "arms": {a: {m: metric([r for r in rows if r.arm == a], m) for m in METRICS} for a in arms},
        "uplift": {b: bootstrap_uplift(rows, baseline=b, resamples=resamples) for b in baselines},
        "per_seed": per_seed,
    }


def render_routing(result: dict[str, Any]) -> str:
    sim = result["simulation"]
    arms = list(result["arms"])
    lines = [
        f"Routing comparison: seeds {sim['seeds']}, {sim['contacts']} contacts a run "
        f"(warm-up {sim['warmup_contacts']}), {sim['agents']} agents on duty, skill spread "
        f"{sim['skill_spread']}, strategies interleaved in {sim['slice_minutes']:g}-minute slices",
        "",
        f"{'':20}" + "".join(f"{a:>14}" for a in arms),
    ]
    fmt = {"resolution": "{:.1%}", "abandonment": "{:.1%}"}
    for m in METRICS:
        cells = [
            "—" if (v := result["arms"][a][m]) is None else fmt.get(m, "{:.1f}").format(v)
            for a in arms
        ]
        lines.append(f"{m:<20}" + "".join(f"{c:>14}" for c in cells))
    lines += ["", "Uplift of predictive (95% cluster-bootstrap CI):"]
    for b, table in result["uplift"].items():
        for m in METRICS:
            u = table[m]
            if u["uplift"] is None:
                continue
            scale, unit = (100.0, " pts") if m in ("resolution", "abandonment") else (1.0, " s")
            lines.append(
                f"  vs {b:<13} {m:<16} {u['uplift'] * scale:+8.2f}{unit}  "
                f"[{(u['ci_low'] or 0) * scale:+.2f}, {(u['ci_high'] or 0) * scale:+.2f}]"
            )
    return "\n".join(lines)
