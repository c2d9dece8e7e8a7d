"""`hybridcx audit log`: read the audit log from the terminal (against the configured database)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Annotated, Any

import typer

audit_app = typer.Typer(help="The audit log of sensitive actions.", no_args_is_help=True)


@audit_app.command("log")
def audit_log(
    ctx: typer.Context,
    actor: Annotated[str | None, typer.Option(help="Only this actor id.")] = None,
    action: Annotated[
        str | None, typer.Option(help="Only this action (or a prefix ending in '.').")
    ] = None,
    target: Annotated[str | None, typer.Option(help="Only this target id.")] = None,
    from_: Annotated[str | None, typer.Option("--from", help="ISO 8601, inclusive.")] = None,
    to: Annotated[str | None, typer.Option("--to", help="ISO 8601, exclusive.")] = None,
    workspace: Annotated[
        str | None, typer.Option(help="Workspace slug; default: every workspace.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
) -> None:
    """Print entries newest first, one JSON object per line."""
    from hybridcx.audit.repository import AuditFilter
    from hybridcx.kit.cli import cli_settings

    try:
        since, until = _when(from_, "--from"), _when(to, "--to")
    except ValueError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from exc
    flt = AuditFilter(actor=actor, action=action, target=target, since=since, until=until)
    rows = asyncio.run(_read(cli_settings(ctx), flt, workspace, limit))
    for row in rows:
        typer.echo(json.dumps(row, sort_keys=True))


def _when(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    from datetime import UTC

    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"{name} must be an ISO 8601 date or time, got {value!r}") from exc
    if parsed.tzinfo is None:
        return parsed
    try:
        return parsed.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        return datetime.min if parsed.year == 1 else datetime.max


async def _read(settings: Any, flt: Any, workspace: str | None, limit: int) -> list[dict[str, Any]]:
    from dataclasses import replace

    from sqlalchemy import select

    from hybridcx.audit.endpoints import entry_read
    from hybridcx.audit.repository import query_entries
    from hybridcx.kit.db import create_engine, session_factory
    from hybridcx.models import Workspace

    engine = create_engine(settings.effective_database_url)
    try:
        async with session_factory(engine)() as session:
            if workspace:
                ws = (
                    await session.execute(select(Workspace).where(Workspace.slug == workspace))
                ).scalar_one_or_none()
                if ws is None:
                    typer.echo(f"Error: no workspace {workspace!r}.", err=True)
                    raise typer.Exit(2)
                flt = replace(flt, workspace_id=ws.id)
            rows = await query_entries(session, flt, limit=limit)
            return [entry_read(r).model_dump() for r in rows]
    finally:
        await engine.dispose()
