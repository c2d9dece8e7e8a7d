"""`hybridcx outreach`: list the campaigns and run them on demand."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

outreach_app = typer.Typer(help="Proactive outreach campaigns.", no_args_is_help=True)


def _at(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        typer.echo(f"Error: --at must be an ISO 8601 time, e.g. 2026-12-10T12:00:00Z ({exc})")
        raise typer.Exit(2) from exc
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


async def _with_runtime(context: Any, work: Any) -> Any:
    from hybridcx.kit.db import upgrade

    settings = context.settings()
    runtime = context.runtime(settings.model_copy(update={"nlu_enabled": False}))
    await upgrade(runtime.engine)
    await runtime.bus.start()
    try:
        return await work(runtime)
    finally:
        await runtime.bus.stop()
        await runtime.engine.dispose()


@outreach_app.command("run")
def run_command(
    ctx: typer.Context,
    campaign: Annotated[str | None, typer.Option(help="One campaign id (default: all).")] = None,
    at: Annotated[
        str | None, typer.Option(help="Evaluate the signals as of this ISO time (default: now).")
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Say who would be told; send nothing.")] = False,
) -> None:
    """Evaluate the active campaigns' signals and send the notices that may be sent (consent,
    quiet hours, caps and approvals apply as on the schedule). Prints one JSON line each."""
    from sqlalchemy import select

    from hybridcx.kit.cli import command_context
    from hybridcx.models import OutreachCampaign
    from hybridcx.outreach.service import run_campaign

    when = _at(at)

    async def work(rt: Any) -> list[dict[str, Any]]:
        async with rt.sessions() as session:
            stmt = select(OutreachCampaign.workspace_id, OutreachCampaign.id).where(
                OutreachCampaign.status != "paused"
            )
            if campaign:
                stmt = select(OutreachCampaign.workspace_id, OutreachCampaign.id).where(
                    OutreachCampaign.id == campaign
                )
            rows = (await session.execute(stmt)).all()
        if campaign and not rows:
            typer.echo(f"Error: no campaign {campaign!r}", err=True)
            raise typer.Exit(2)
        return [await run_campaign(rt, ws, cid, now=when, dry_run=dry_run) for ws, cid in rows]

    for result in asyncio.run(_with_runtime(command_context(ctx), work)):
        typer.echo(json.dumps(result, sort_keys=True))
