"""`hybridcx analytics`: KPI reports from the terminal, against the configured database."""

from __future__ import annotations

import asyncio
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

analytics_app = typer.Typer(help="KPIs from the conversation event log.", no_args_is_help=True)


class ReportFormat(StrEnum):
    json = "json"
    csv = "csv"
    html = "html"


@analytics_app.command("report")
def report(
    ctx: typer.Context,
    from_: Annotated[
        str | None, typer.Option("--from", help="ISO date; default 30 days before --to.")
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="ISO date (inclusive); default now.")
    ] = None,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", help="Output format.")
    ] = ReportFormat.json,
    workspace: Annotated[
        str | None, typer.Option(help="Workspace slug; default: the default workspace.")
    ] = None,
    channel: Annotated[str | None, typer.Option(help="Only this channel.")] = None,
    tier: Annotated[int | None, typer.Option(min=1, max=3, help="Only this tier.")] = None,
    intent: Annotated[str | None, typer.Option(help="Only this intent.")] = None,
    agent_id: Annotated[str | None, typer.Option(help="Only conversations this agent had.")] = None,
    team: Annotated[
        str | None, typer.Option(help="Only conversations this skill group's members had.")
    ] = None,
    output: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
) -> None:
    """Print the KPI report (the same numbers as GET /api/v1/analytics/kpis)."""
    from hybridcx.analytics.render import RENDERERS
    from hybridcx.analytics.service import kpi_query
    from hybridcx.kit.cli import cli_settings
    from hybridcx.kit.errors import AppError
    from hybridcx.privacy.pii import redact_fast, redact_values

    try:
        query = kpi_query(
            from_, to, channel=channel, tier=tier, intent=intent, agent_id=agent_id, team=team
        )
        result = asyncio.run(_report(cli_settings(ctx), workspace, query))
    except AppError as exc:
        typer.echo(f"Error: {exc.message}", err=True)
        raise typer.Exit(2) from exc
    # The export leaves the system: personal data in its strings (keys too) is redacted with
    # the pattern path; the NER model would take metric names like per_interaction for names.
    text = RENDERERS[fmt.value](redact_values(result, redact_fast))
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"Wrote {output}")


async def _report(settings: Any, workspace: str | None, query: Any) -> dict[str, Any]:
    from hybridcx.analytics.config import config_path, load_analytics_config
    from hybridcx.analytics.repository import workspace_by_slug
    from hybridcx.analytics.service import kpi_report
    from hybridcx.kit.db import create_engine, session_factory
    from hybridcx.kit.errors import NotFound

    engine = create_engine(settings.effective_database_url)
    try:
        async with session_factory(engine)() as session:
            ws = await workspace_by_slug(session, workspace)
            if ws is None:
                raise NotFound(f"No workspace {workspace!r}." if workspace else "No workspace yet.")
            config = load_analytics_config(config_path(settings.policy_dir, ws.slug))
            return await kpi_report(session, ws.id, query, config)
    finally:
        await engine.dispose()


@analytics_app.command("rollup")
def rollup_command(ctx: typer.Context) -> None:
    """Build or catch up every workspace's KPI rollup now (run it once after upgrading on a
    long history; the server then keeps it current in the background)."""
    import time

    from hybridcx.kit.cli import cli_settings

    began = time.perf_counter()
    done = asyncio.run(_rollup(cli_settings(ctx)))
    for slug, mark in sorted(done.items()):
        typer.echo(f"{slug}: caught up to event {mark}")
    typer.echo(f"Rollup done in {time.perf_counter() - began:.1f} s.")


async def _rollup(settings: Any) -> dict[str, int]:
    from hybridcx.analytics import rollup
    from hybridcx.analytics.background import meta_intents_loader
    from hybridcx.kit.db import create_engine, session_factory, upgrade
    from hybridcx.kit.ids import utcnow

    engine = create_engine(settings.effective_database_url)
    try:
        await upgrade(engine)
        return await rollup.catch_up_all(
            session_factory(engine),
            meta_intents_for=meta_intents_loader(settings.policy_dir),
            now=utcnow(),
        )
    finally:
        await engine.dispose()
