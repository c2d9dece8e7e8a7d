"""`hybridcx audit fairness`: the fairness audit from the terminal.

The entry point (hybridcx/cli.py) mounts ``fairness_app`` without a name on the shared
`hybridcx audit` group, next to the other audits."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer

fairness_app = typer.Typer(
    help="Audits: fairness of service across customer segments.", no_args_is_help=True
)


@fairness_app.command("fairness")
def fairness(
    ctx: typer.Context,
    from_: Annotated[
        str | None, typer.Option("--from", help="ISO date; default 30 days ago.")
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="ISO date (inclusive); default now.")
    ] = None,
    segment: Annotated[
        list[str] | None,
        typer.Option(help="channel, language, value_tier or a customer attribute (repeatable)."),
    ] = None,
    workspace: Annotated[
        str | None, typer.Option(help="Workspace slug; default: the first.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
) -> None:
    """Compare containment, escalation, waiting, FCR and CSAT across segments; flag gaps that
    exceed the thresholds and are significant after Benjamini-Hochberg correction."""
    from hybridcx.analytics.service import kpi_query
    from hybridcx.fairness.service import parse_segments
    from hybridcx.kit.cli import cli_settings
    from hybridcx.kit.errors import AppError

    try:
        query = kpi_query(from_, to)
        segments = parse_segments(segment)
        report = asyncio.run(_report(cli_settings(ctx), workspace, query, segments))
    except AppError as exc:
        typer.echo(f"Error: {exc.message}", err=True)
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    typer.echo(render_text(report))
    if report["flags"]:
        raise typer.Exit(1)  # scripts and CI can act on a flagged disparity


def render_text(report: dict[str, Any]) -> str:
    q = report["query"]
    lines = [f"Fairness audit {q['from']} .. {q['to']}"]
    for dim in report["dimensions"]:
        lines.append(f"\n{dim['dimension']} ({dim['conversations']} conversations)")
        for name, seg in dim["segments"].items():
            values = ", ".join(
                f"{m}={v['value']}" for m, v in seg["metrics"].items() if v["value"] is not None
            )
            lines.append(f"  {name:<16} n={seg['conversations']:<6} {values}")
    lines.append("")
    if not report["flags"]:
        lines.append("No flagged disparities.")
    for f in report["flags"]:
        lines.append(
            f"FLAG {f['dimension']}={f['segment']}: {f['metric']} {f['value']} vs {f['rest']} "
            f"for the rest ({f['test']}, q={f['q_value']:.2g})"
        )
    return "\n".join(lines)


async def _report(
    settings: Any, workspace: str | None, query: Any, segments: list[str]
) -> dict[str, Any]:
    from hybridcx.analytics.config import config_path, load_analytics_config
    from hybridcx.analytics.repository import workspace_by_slug
    from hybridcx.fairness.service import (
        fairness_config_path,
        fairness_report,
        load_fairness_config,
    )
    from hybridcx.kit.db import create_engine, session_factory
    from hybridcx.kit.errors import NotFound
    from hybridcx.pipeline.policy import load_policy
    from hybridcx.segments.profiles import workspace_segments

    engine = create_engine(settings.effective_database_url)
    try:
        async with session_factory(engine)() as session:
            ws = await workspace_by_slug(session, workspace)
            if ws is None:
                raise NotFound(f"No workspace {workspace!r}." if workspace else "No workspace yet.")
            policy = load_policy(settings.policy_dir / f"{ws.slug}.yaml")
            return await fairness_report(
                session,
                ws.id,
                query,
                segments=segments,
                config=load_fairness_config(fairness_config_path(settings.policy_dir, ws.slug)),
                analytics=load_analytics_config(config_path(settings.policy_dir, ws.slug)),
                high_value=policy.high_value_lifetime,
                profiles=workspace_segments(settings.policy_dir, ws.slug),
            )
    finally:
        await engine.dispose()
