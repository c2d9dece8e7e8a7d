"""Sets up the real engine for a simulated day and runs it: one entry point for the CLI and tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hybridcx.brain import Brain
from hybridcx.flows.spec import FlowsFile, load_flows
from hybridcx.pipeline.factory import build_pipeline
from hybridcx.pipeline.policy import RoutingPolicy, load_policy
from hybridcx.queue.strategy import LongestIdleStrategy
from hybridcx.simulate.config import SimConfig
from hybridcx.simulate.model import Simulation
from hybridcx.simulate.proactive import ProactiveConfig
from hybridcx.simulate.proactive import apply as apply_proactive
from hybridcx.simulate.report import build_report
from hybridcx.simulate.services import (
    ArticlesKnowledge,
    CachedSentiment,
    CachedUnderstander,
    seed_backend,
)
from hybridcx.simulate.traffic import Utterances, generate, load_utterances


@dataclass
class Engine:
    """What stays the same across runs: the brain (behind its caches), flows and knowledge."""

    understander: CachedUnderstander
    sentiment: CachedSentiment
    flows: FlowsFile
    knowledge: ArticlesKnowledge
    known_intents: frozenset[str] = frozenset()

    @classmethod
    def from_brain(cls, brain: Brain, flows: FlowsFile | None = None) -> Engine:
        return cls(
            understander=CachedUnderstander(brain.understander),
            sentiment=CachedSentiment(brain.sentiment),
            flows=flows or load_flows(),
            knowledge=ArticlesKnowledge.demo(),
            known_intents=frozenset(brain.understander.classifier.labels),
        )


def policy_from(path: Path | None) -> RoutingPolicy:
    """The packaged default policy, with ``path`` (if given) merged on top as the server does."""
    if path is not None and not path.exists():
        raise FileNotFoundError(f"policy file not found: {path}")
    return load_policy(path)


def simulate(
    config: SimConfig,
    engine: Engine,
    policy: RoutingPolicy,
    *,
    utterances: Utterances | None = None,
    policy_name: str = "default",
    proactive: ProactiveConfig | None = None,
) -> dict[str, Any]:
    """One seeded run through the real pipeline; the report as a JSON-ready dict. With
    ``proactive``, notified customers contact less (simulate.proactive)."""
    utterances = utterances or load_utterances()
    contacts = generate(config, utterances)
    prevention = None
    if proactive is not None:
        contacts, prevention = apply_proactive(contacts, proactive, config.seed)
    sim = Simulation(
        config,
        contacts=contacts,
        utterances=utterances,
        policy=policy,
        pipeline=build_pipeline(
            policy,
            understander=engine.understander,
            sentiment=engine.sentiment,
            flows=engine.flows,
        ),
        flows=engine.flows,
        backend=seed_backend(contacts, days=sim_days(config)),
        knowledge=engine.knowledge,
        strategy=LongestIdleStrategy(),
        known_intents=engine.known_intents,
    )
    asyncio.run(sim.run())
    report = build_report(sim, policy_name=policy_name)
    if prevention is not None:
        report["proactive"] = prevention
    return report


def sim_days(config: SimConfig) -> int:
    return int(config.hours // 24) + 2
