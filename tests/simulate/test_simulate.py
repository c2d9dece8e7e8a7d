"""The simulator drives the real pipeline: deterministic for a seed, responsive to the policy,
reports Erlang C, and shows abandonment when agents are too few."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hybridcx.brain import load_brain
from hybridcx.pipeline.policy import RoutingPolicy
from hybridcx.simulate.config import SimConfig
from hybridcx.simulate.engine import EventLoop
from hybridcx.simulate.runner import Engine, policy_from, simulate
from hybridcx.simulate.traffic import generate, load_utterances

N = 150


@pytest.fixture(scope="session")
def engine(nlu_model_dir: Path) -> Engine:
    return Engine.from_brain(load_brain(nlu_model_dir))


def run(engine: Engine, policy: RoutingPolicy | None = None, **kw: object) -> dict:
    config = SimConfig(**{"contacts": N, "agents": 4, "seed": 7, **kw})  # type: ignore[arg-type]
    return simulate(config, engine, policy or policy_from(None))


def test_event_loop_orders_by_time_then_schedule() -> None:
    import asyncio

    loop, seen = EventLoop(), []

    async def later(tag: str) -> None:
        seen.append((loop.now, tag))

    loop.at(5, later, "b")
    loop.at(1, lambda: seen.append((loop.now, "a")))
    loop.at(5, later, "c")
    asyncio.run(loop.run())
    assert seen == [(1, "a"), (5, "b"), (5, "c")]


def test_traffic_is_seeded_and_mixed() -> None:
    said = load_utterances()
    a = generate(SimConfig(contacts=400, seed=3), said)
    assert a == generate(SimConfig(contacts=400, seed=3), said)
    assert a != generate(SimConfig(contacts=400, seed=4), said)
    assert {c.channel for c in a} == {"webchat", "email", "sms"}
    assert {c.segment for c in a} == {"regular", "vip", "human_only"}
    assert any(c.angry for c in a) and any(len(c.issues) == 2 for c in a)
    assert all(0 <= c.arrival <= 24 * 3600 for c in a)
    # Real utterances: every issue's text comes from (a variation of) the demo examples.
    assert all(i.label in said.by_label for c in a for i in c.issues)


def test_utterances_from_a_csv(tmp_path: Path) -> None:
    csv = tmp_path / "u.csv"
    csv.write_text("text,label\nwhat is my balance,balance\nfreeze my card,freeze\n")
    said = load_utterances(csv)
    assert said.labels == ["balance", "freeze"]
    contacts = generate(SimConfig(contacts=20, seed=1), said)
    assert {i.label for c in contacts for i in c.issues} <= {"balance", "freeze"}


def test_deterministic_for_a_seed(engine: Engine) -> None:
    a, b = run(engine), run(engine)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert run(engine, seed=8)["summary"] != a["summary"]


def test_report_has_kpis_targets_and_erlang(engine: Engine) -> None:
    r = run(engine)
    s = r["summary"]
    assert s["contacts"] == N
    assert s["customer_turns"] >= N  # every contact said something to the pipeline
    assert 0 < s["ai_containment"] < 1
    assert sum(s["tier_shares"].values()) == pytest.approx(1.0, abs=1e-3)
    assert s["tier1_resolution_rate"] is not None and s["tier1_resolution_rate"] > 0.5
    assert 0 < s["cost_savings_vs_all_human"] < 1
    assert s["queued"] == s["answered"] + s["abandoned"]
    assert set(r["targets"]) == {"tier_distribution", "tier1_resolution", "cost_savings"}
    e = r["erlang_c"]
    assert e["available"] is True
    for key in ("average_staffed_hour", "peak_hour"):
        assert e[key]["agents_needed"] >= 1
        assert e[key]["with_simulated_agents"]["agents"] == 4
    assert e["simulated_in_staffed_hours"]["service_level"] is not None
    # The KPIs come from the analytics module over the simulated event rows.
    assert r["kpis"]["operations"]["ai_containment"]["rate"] == s["ai_containment"]
    assert len(r["hourly"]["queued"]) == 24


def test_stricter_confidence_threshold_lowers_containment(engine: Engine) -> None:
    strict = policy_from(None).model_copy(update={"confidence_threshold": 0.99})
    base, tight = run(engine), run(engine, strict)
    assert tight["summary"]["ai_containment"] < base["summary"]["ai_containment"]
    low = "low_confidence"
    assert tight["pipeline"]["turn_reasons"].get(low, 0) > base["pipeline"]["turn_reasons"].get(
        low, 0
    )


def test_too_few_agents_means_abandonment(engine: Engine) -> None:
    few, many = run(engine, agents=1, contacts=300), run(engine, agents=12, contacts=300)
    assert few["summary"]["abandonment_rate"] > many["summary"]["abandonment_rate"]
    assert few["summary"]["abandonment_rate"] > 0.1
    assert few["erlang_c"]["peak_hour"]["agents_needed"] > 1


def test_cli_json_compare_and_report(nlu_model_dir: Path, tmp_path: Path) -> None:
    from hybridcx.cli import app

    strict = tmp_path / "strict.yaml"
    strict.write_text("confidence_threshold: 0.99\n")
    args = ["simulate", "--contacts", "120", "--agents", "3", "--seed", "2"]
    args += ["--model-dir", str(nlu_model_dir)]
    out = CliRunner().invoke(
        app, [*args, "--json", "--compare", str(strict), "--report", str(tmp_path / "r")]
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["differences"]["b"] == "strict.yaml"
    assert data["differences"]["metrics"]["ai_containment"]["delta"] < 0
    page = (tmp_path / "r" / "index.html").read_text()
    assert "<svg" in page and "http" not in page.split("<body>")[1].split("report.json")[0]
    text = CliRunner().invoke(app, args)
    assert text.exit_code == 0, text.output
    assert "Tier 1 resolution rate" in text.stdout and "Erlang C" in text.stdout


def test_cli_rejects_a_bad_policy(tmp_path: Path, nlu_model_dir: Path) -> None:
    from hybridcx.cli import app

    bad = tmp_path / "bad.yaml"
    bad.write_text("confidence_threshold: 7\n")
    out = CliRunner().invoke(app, ["simulate", "--policy", str(bad)])
    assert out.exit_code == 2


def test_cli_compares_two_staffing_levels(nlu_model_dir: Path) -> None:
    from hybridcx.cli import app

    args = ["simulate", "--contacts", "200", "--agents", "4", "--seed", "3", "--json"]
    out = CliRunner().invoke(
        app, [*args, "--model-dir", str(nlu_model_dir), "--compare-agents", "1"]
    )
    assert out.exit_code == 0, out.output
    diff = json.loads(out.stdout)["differences"]
    assert diff["b"] == "default with 1 agents"
    assert diff["metrics"]["abandonment_rate"]["delta"] > 0  # fewer people, more customers give up
    both = CliRunner().invoke(app, [*args, "--compare", "x.yaml", "--compare-agents", "1"])
    assert both.exit_code == 2


def test_surveys_recontacts_and_transfers_follow_their_settings(engine: Engine) -> None:
    base = run(engine)
    s = base["summary"]
    assert s["recontacts"] > 0 and s["transfers"] >= 0
    cx = base["kpis"]["customer_experience"]
    assert cx["csat"]["responses"] > 0 and cx["nps"]["responses"] == cx["csat"]["responses"]
    assert 1 <= cx["csat"]["average"] <= 5 and -100 <= cx["nps"]["score"] <= 100
    assert cx["first_contact_resolution"]["recontacts"] > 0
    # Nobody comes back, nobody answers surveys, every tier 2 contact is passed on.
    quiet = run(engine, recontact_share=0.0, survey_share=0.0, transfer_share=1.0)
    q = quiet["summary"]
    assert q["recontacts"] == 0 and q["csat_average"] is None and q["nps"] is None
    assert quiet["kpis"]["customer_experience"]["first_contact_resolution"]["recontacts"] == 0
    assert q["transfers"] > 0 and q["transfers"] >= s["transfers"]
    effort = quiet["kpis"]["customer_experience"]["customer_effort"]
    assert effort["average_transfers"] > 0
