"""`hybridcx simulate`: the command (heavy imports happen only when it runs)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer


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
) -> None:
    """Simulate a day of contacts through the real AI pipeline, queue and assignment strategy."""
    from hybridcx.brain import load_brain
    from hybridcx.config import Settings
    from hybridcx.pipeline.policy import PolicyError
    from hybridcx.simulate.config import SimConfig
    from hybridcx.simulate.html import write_report
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
    try:
        config = SimConfig(contacts=contacts, agents=agents, hours=hours, seed=seed)
        policy_a = policy_from(policy)
        policy_b = policy_from(compare) if compare is not None else None
        said = load_utterances(utterances)
    except (ValueError, FileNotFoundError, PolicyError) as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from exc
    brain = load_brain(model_dir or Settings().effective_nlu_model_dir)
    engine = Engine.from_brain(brain)
    name_a = policy.name if policy else "default"
    result = run(config, engine, policy_a, utterances=said, policy_name=name_a)
    other = diff = None
    if policy_b is not None and compare is not None:
        other = run(config, engine, policy_b, utterances=said, policy_name=compare.name)
        diff = compare_reports(result, other)
    elif compare_agents is not None:
        staffed = SimConfig(contacts=contacts, agents=compare_agents, hours=hours, seed=seed)
        label = f"{name_a} with {compare_agents} agents"
        other = run(staffed, engine, policy_a, utterances=said, policy_name=label)
        diff = compare_reports(result, other)
    if as_json:
        payload = result if diff is None else {"a": result, "b": other, "differences": diff}
        typer.echo(json.dumps(payload, indent=2))
    else:
        typer.echo(render(result))
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
