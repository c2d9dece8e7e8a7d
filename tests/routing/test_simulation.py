"""Predictive routing beats longest-idle in a seeded simulation where agents differ.

The model is trained on the simulation's own warm-up history (survey answers and handle times
in its event log), never on the hidden skill table; the strategies are interleaved in time
slices of one run and the uplift's 95% cluster-bootstrap interval must exclude zero."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridcx.brain import load_brain
from hybridcx.routing.model import ContactFeatures
from hybridcx.simulate.config import SimConfig
from hybridcx.simulate.routing import _run, compare_routing, train_from_warmup
from hybridcx.simulate.runner import Engine, policy_from
from hybridcx.simulate.skills import SkillModel
from hybridcx.simulate.traffic import load_utterances


@pytest.fixture(scope="module")
def engine(nlu_model_dir: Path) -> Engine:
    return Engine.from_brain(load_brain(nlu_model_dir))


def test_agents_differ_by_intent_and_the_table_is_seeded() -> None:
    intents = load_utterances().labels
    a, b = SkillModel(1, 1.0, intents), SkillModel(1, 1.0, intents)
    p = {(ag, i): a.resolution(ag, i) for ag in ("agent-01a", "agent-02a") for i in intents}
    assert p == {(ag, i): b.resolution(ag, i) for ag, i in p}  # same seed, same agents
    assert max(p.values()) - min(p.values()) > 0.3  # heterogeneous
    # Who is better depends on the intent: each agent is best at something.
    one_better = [p[("agent-01a", i)] > p[("agent-02a", i)] for i in intents]
    assert any(one_better) and not all(one_better)
    flat = SkillModel(1, 0.0, intents)  # spread 0: identical agents, the simulator's default
    assert {round(flat.resolution(ag, i), 9) for ag, i in p} == {
        round(flat.resolution("x", i), 9) for i in intents
    } and flat.handle_factor("agent-01a", "order_status") == 1.0


@pytest.mark.slow
def test_predictive_beats_longest_idle_with_a_ci_excluding_zero(engine: Engine) -> None:
    config = SimConfig(contacts=500, agents=10, skill_spread=2.0)
    result = compare_routing(
        engine,
        policy_from(None),
        seeds=[1],
        config=config,
        warmup_contacts=900,
        slice_minutes=10,
        arms=("predictive", "longest_idle"),
        resamples=1000,
    )
    seed = result["per_seed"][0]
    assert seed["warmup_outcomes"] > 100  # learned from its own warm-up history
    assert seed["predictive_decisions"].get("predictive", 0) > 50  # the model decided
    uplift = result["uplift"]["longest_idle"]["resolution"]
    assert uplift["uplift"] > 0 and uplift["ci_low"] > 0, uplift
    # Same seed, same numbers.
    again = compare_routing(
        engine,
        policy_from(None),
        seeds=[1],
        config=config,
        warmup_contacts=900,
        slice_minutes=10,
        arms=("predictive", "longest_idle"),
        resamples=1000,
    )
    assert again["uplift"] == result["uplift"]


def test_the_warm_up_model_learns_from_the_event_log_not_the_truth(engine: Engine) -> None:
    from hybridcx.queue.strategy import LongestIdleStrategy

    config = SimConfig(contacts=300, agents=6, seed=5, skill_spread=2.0)
    sim = _run(config, engine, policy_from(None), load_utterances(), strategy=LongestIdleStrategy())
    surveys = [e for e in sim.events if e.type == "survey.submitted"]
    assert surveys and all(isinstance(e.data["resolved"], bool) for e in surveys)
    model = train_from_warmup(sim)
    # Exactly the conversations people resolved, as read back from the log.
    assert model.samples == sum(1 for c in sim.conversations if c.outcome == "human_resolved")
    handled = {c.agent_id for c in sim.conversations if c.agent_id}
    assert set(model.summary()["agents"]) == handled
    f = ContactFeatures(intent="order_status")
    assert all(0 < model.predict(a, f).resolution < 1 for a in handled)


@pytest.mark.slow
def test_cli_compare_routing(nlu_model_dir: Path) -> None:
    import json

    from typer.testing import CliRunner

    from hybridcx.cli import app

    args = ["simulate", "--compare-routing", "--contacts", "150", "--warmup-contacts", "200"]
    args += ["--agents", "4", "--seeds", "3", "--json", "--model-dir", str(nlu_model_dir)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["simulation"]["strategies"] == ["predictive", "longest_idle", "skills"]
    assert set(out["uplift"]) == {"longest_idle", "skills"}
    for table in out["uplift"].values():
        assert set(table) == {"resolution", "handle_seconds", "wait_seconds", "abandonment"}
    bad = CliRunner().invoke(app, ["simulate", "--compare-routing", "--seeds", "x"])
    assert bad.exit_code == 2 and "Error" in bad.output
