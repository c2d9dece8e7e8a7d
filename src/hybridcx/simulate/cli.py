"""`hybridcx simulate`: the command (heavy imports happen only when it runs)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

# Mounted without a name on the root `hybridcx` group by the entry point (hybridcx/cli.py).
simulate_app = typer.Typer()


@simulate_app.command("simulate")
def simulate(
    contacts: Annotated[int, typer.Option(min=1, help="Synthetic contacts to simulate.")] = 2000,
    agents: Annotated[
        int, typer.Option(min=0, help="Agents on duty at once during staffed hours.")
    ] = 12,
    hours: Annotated[float, typer.Option(min=0.1, help="Virtual hours of arrivals.")] = 24.0,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same run.")] = 1,
    policy: Annotated[
        Path | None, typer.Option(help="Routing policy YAML merged over the defaults.")
    ] = None,
    utterances: Annotated[
        Path | None,
        typer.Option(help="CSV text,label of customer utterances (default: demo intents)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    report: Annotated[
        Path | None, typer.Option(help="Write an HTML report with charts to this directory.")
    ] = None,
    compare: Annotated[
        Path | None,
        typer.Option(help="Second policy file: run the same traffic under it and compare."),
    ] = None,
    compare_agents: Annotated[
        int | None,
        typer.Option(
            min=0, help="Second staffing level: run the same traffic with N agents and compare."
        ),
    ] = None,
    model_dir: Annotated[
        Path | None,
        typer.Option(
            help="Intent model directory (default: the configured one; trained if missing)."
        ),
    ] = None,
    # ---- predictive routing ----
    compare_routing: Annotated[
        bool,
        typer.Option(
            "--compare-routing",
            help="Predictive vs longest-idle vs skills-based routing, interleaved, with CIs.",
        ),
    ] = False,
    seeds: Annotated[
        str | None, typer.Option(help="--compare-routing: seeds, e.g. 1,2,3 (default --seed).")
    ] = None,
    warmup_contacts: Annotated[
        int | None,
        typer.Option(min=1, help="--compare-routing: contacts of the warm-up day (history)."),
    ] = None,
    skill_spread: Annotated[
        float, typer.Option(min=0, help="How much agents differ by intent (0: identical).")
    ] = 0.0,
    slice_minutes: Annotated[
        float, typer.Option(min=1, help="--compare-routing: interleaving slice length.")
    ] = 30.0,
    proactive_effect: Annotated[
        float | None,
        typer.Option(
            min=0,
            max=1,
            help="Proactive mode: chance a notified customer then does not contact.",
        ),
    ] = None,
    holdout: Annotated[
        float, typer.Option(min=0, max=1, help="Proactive mode: control group share held out.")
    ] = 0.2,
) -> None:
    """Simulate a day of contacts through the real AI pipeline, queue and assignment strategy."""
    from hybridcx.brain import load_brain
    from hybridcx.config import Settings
    from hybridcx.pipeline.policy import PolicyError
    from hybridcx.simulate.config import SimConfig
    from hybridcx.simulate.html import write_report
    from hybridcx.simulate.proactive import ProactiveConfig, render_proactive
    from hybridcx.simulate.report import compare as compare_reports
    from hybridcx.simulate.runner import Engine, policy_from
    from hybridcx.simulate.runner import simulate as run
    from hybridcx.simulate.text import render, render_compare
    from hybridcx.simulate.traffic import load_utterances

    started = time.perf_counter()
    if compare is not None and compare_agents is not None:
        typer.echo(
            "Error: compare either a second policy (--compare) or a staffing level (--compare-agents).",
            err=True,
        )
        raise typer.Exit(2)
    if compare_routing:
        _compare_routing(
            config_kw={"contacts": contacts, "agents": agents, "hours": hours, "seed": seed},
            seeds=seeds,
            warmup_contacts=warmup_contacts,
            skill_spread=skill_spread or 1.0,
            slice_minutes=slice_minutes,
            policy=policy,
            model_dir=model_dir,
            as_json=as_json,
        )
        return
    try:
        config = SimConfig(
            contacts=contacts, agents=agents, hours=hours, seed=seed, skill_spread=skill_spread
        )
        policy_a = policy_from(policy)
        policy_b = policy_from(compare) if compare is not None else None
        said = load_utterances(utterances)
    except (ValueError, FileNotFoundError, PolicyError) as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from exc
    brain = load_brain(model_dir or Settings().effective_nlu_model_dir)
    engine = Engine.from_brain(brain)
    name_a = policy.name if policy else "default"
    proactive = (  # prevention against a held-out control group
        ProactiveConfig(effect=proactive_effect, holdout=holdout)
        if proactive_effect is not None
        else None
    )
    result = run(config, engine, policy_a, utterances=said, policy_name=name_a, proactive=proactive)
    other = diff = None
    if policy_b is not None and compare is not None:
        other = run(
            config,
            engine,
            policy_b,
            utterances=said,
            policy_name=compare.name,
            proactive=proactive,
        )
        diff = compare_reports(result, other)
    elif compare_agents is not None:
        staffed = SimConfig(contacts=contacts, agents=compare_agents, hours=hours, seed=seed)
        label = f"{name_a} with {compare_agents} agents"
        other = run(
            staffed, engine, policy_a, utterances=said, policy_name=label, proactive=proactive
        )
        diff = compare_reports(result, other)
    if as_json:
        payload = result if diff is None else {"a": result, "b": other, "differences": diff}
        typer.echo(json.dumps(payload, indent=2))
    else:
        typer.echo(render(result))
        if "proactive" in result:
            typer.echo(render_proactive(result["proactive"]))
        if other is not None and diff is not None:
            typer.echo("\n" + render(other) + "\n\n" + render_compare(diff))
    if report is not None:
        path = write_report(report, result, other=other, diff=diff)
        typer.echo(f"Wrote {path}", err=as_json)
    stats = engine.understander.stats
    print(
        f"simulated in {time.perf_counter() - started:.1f} s wall time "
        f"(understanding computed {stats.misses} times, reused {stats.hits})",
        file=sys.stderr,
    )


def _compare_routing(
    *,
    config_kw: dict[str, Any],
    seeds: str | None,
    warmup_contacts: int | None,
    skill_spread: float,
    slice_minutes: float,
    policy: Path | None,
    model_dir: Path | None,
    as_json: bool,
) -> None:
    """`simulate --compare-routing`: the uplift table of predictive routing."""
    from hybridcx.brain import load_brain
    from hybridcx.config import Settings
    from hybridcx.pipeline.policy import PolicyError
    from hybridcx.simulate.config import SimConfig
    from hybridcx.simulate.routing import compare_routing, render_routing
    from hybridcx.simulate.runner import Engine, policy_from

    started = time.perf_counter()
    try:
        seed_list = [int(s) for s in seeds.split(",")] if seeds else [config_kw["seed"]]
        config = SimConfig(**config_kw, skill_spread=skill_spread)
        routing_policy = policy_from(policy)
    except (ValueError, FileNotFoundError, PolicyError) as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from exc
    engine = Engine.from_brain(load_brain(model_dir or Settings().effective_nlu_model_dir))
    result = compare_routing(
        engine,
        routing_policy,
        seeds=seed_list,
        config=config,
        warmup_contacts=warmup_contacts,
        slice_minutes=slice_minutes,
    )
    typer.echo(json.dumps(result, indent=2) if as_json else render_routing(result))
    print(f"compared in {time.perf_counter() - started:.1f} s wall time", file=sys.stderr)
