"""`hybridcx routing`: train and inspect the predictive routing outcome model."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer

routing_app = typer.Typer(help="Predictive routing: the outcome model.", no_args_is_help=True)


@routing_app.command("train")
def train(
    ctx: typer.Context,
    workspace: Annotated[
        str | None, typer.Option(help="Workspace slug (default workspace).")
    ] = None,
    days: Annotated[float, typer.Option(min=1, help="Days of history to learn from.")] = 90,
    prior_strength: Annotated[
        float, typer.Option(min=0, help="Shrinkage: pseudo-samples toward the level above.")
    ] = 5.0,
) -> None:
    """Train the workspace's outcome model from its event log and make it current."""
    from hybridcx.analytics.repository import workspace_by_slug
    from hybridcx.kit.cli import cli_settings
    from hybridcx.kit.db import create_engine, session_factory
    from hybridcx.kit.ids import utcnow
    from hybridcx.pipeline.policy import load_policy
    from hybridcx.routing.store import FileModelStore
    from hybridcx.routing.training import train_workspace

    settings = cli_settings(ctx)

    async def main() -> dict[str, Any]:
        engine = create_engine(settings.effective_database_url)
        try:
            async with session_factory(engine)() as session:
                ws = await workspace_by_slug(session, workspace)
                if ws is None:
                    raise typer.BadParameter(f"no workspace {workspace or '(default)'}")
                teams = load_policy(settings.policy_dir / f"{ws.slug}.yaml").intent_skills
                model = await train_workspace(
                    session,
                    ws.id,
                    now=utcnow(),
                    days=days,
                    prior_strength=prior_strength,
                    teams=teams,
                )
            path = FileModelStore(settings.effective_routing_model_dir).save(ws.id, model)
            return {**model.summary(), "path": str(path)}
        finally:
            await engine.dispose()

    try:
        typer.echo(json.dumps(asyncio.run(main()), indent=2))
    except ValueError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from exc


@routing_app.command("show")
def show(
    ctx: typer.Context,
    workspace: Annotated[
        str | None, typer.Option(help="Workspace slug (default workspace).")
    ] = None,
) -> None:
    """The workspace's current model: version, trained_at, samples, agents and intents."""
    from hybridcx.analytics.repository import workspace_by_slug
    from hybridcx.kit.cli import cli_settings
    from hybridcx.kit.db import create_engine, session_factory
    from hybridcx.routing.store import FileModelStore

    settings = cli_settings(ctx)

    async def ws_id() -> str | None:
        engine = create_engine(settings.effective_database_url)
        try:
            async with session_factory(engine)() as session:
                ws = await workspace_by_slug(session, workspace)
                return ws.id if ws else None
        finally:
            await engine.dispose()

    wid = asyncio.run(ws_id())
    model = FileModelStore(settings.effective_routing_model_dir).get(wid)
    if model is None:
        typer.echo("No routing model yet: run `hybridcx routing train`.", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(model.summary(), indent=2))
