"""`hybridcx audit compliance`: the compliance records of a window, for regulators."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer

# Mounted without a name on the `hybridcx audit` group by the entry point (hybridcx/cli.py).
compliance_app = typer.Typer()


@compliance_app.command("compliance")
def compliance_records(
    ctx: typer.Context,
    from_: Annotated[
        str | None, typer.Option("--from", help="ISO date; default 30 days ago.")
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="ISO date (inclusive); default now.")
    ] = None,
    workspace: Annotated[
        str | None, typer.Option(help="Workspace slug; default: the default workspace.")
    ] = None,
) -> None:
    """Print every regulated conversation's compliance record in the window as JSON (the same
    as GET /api/v1/compliance/records)."""
    from hybridcx.analytics.service import kpi_query
    from hybridcx.kit.cli import cli_settings
    from hybridcx.kit.errors import AppError

    try:
        query = kpi_query(from_, to)
        records = asyncio.run(_records(cli_settings(ctx), workspace, query))
    except AppError as exc:
        typer.echo(f"Error: {exc.message}", err=True)
        raise typer.Exit(2) from exc
    window = query.to_dict()
    typer.echo(
        json.dumps({"from": window["from"], "to": window["to"], "records": records}, indent=2)
    )


async def _records(settings: Any, workspace: str | None, query: Any) -> list[dict[str, Any]]:
    from hybridcx.analytics.repository import workspace_by_slug
    from hybridcx.compliance.records import records_in_window
    from hybridcx.kit.db import create_engine, session_factory
    from hybridcx.kit.errors import NotFound

    engine = create_engine(settings.effective_database_url)
    try:
        async with session_factory(engine)() as session:
            ws = await workspace_by_slug(session, workspace)
            if ws is None:
                raise NotFound(f"No workspace {workspace!r}." if workspace else "No workspace yet.")
            return await records_in_window(session, ws.id, start=query.start, end=query.end)
    finally:
        await engine.dispose()
