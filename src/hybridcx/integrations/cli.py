"""`hybridcx integrations`: connect the company's systems, and check a connection."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
import yaml

integrations_app = typer.Typer(
    help="Connectors to the company's systems (orders, customers).", no_args_is_help=True
)
T = TypeVar("T")
WorkspaceOpt = Annotated[str | None, typer.Option(help="Workspace slug (default workspace).")]


def _run(ctx: typer.Context, work: Callable[[Any, str], Awaitable[T]], workspace: str | None) -> T:
    """Run ``work(session, workspace_id)`` in one transaction against the configured database."""
    from hybridcx.analytics.repository import workspace_by_slug
    from hybridcx.kit.cli import cli_settings
    from hybridcx.kit.db import create_engine, session_factory, transaction

    settings = cli_settings(ctx)

    async def main() -> T:
        engine = create_engine(settings.effective_database_url)
        try:
            async with transaction(session_factory(engine)) as session:
                ws = await workspace_by_slug(session, workspace)
                if ws is None:
                    raise typer.BadParameter(f"no workspace {workspace or '(default)'}")
                return await work(session, ws.id)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def _fail(message: str) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(2)


@integrations_app.command("list")
def list_connectors(ctx: typer.Context, workspace: WorkspaceOpt = None) -> None:
    """The workspace's connectors (secrets are shown only by name)."""
    from hybridcx.integrations import service

    async def work(session: Any, workspace_id: str) -> list[dict[str, Any]]:
        return [service.public(r) for r in await service.connectors(session, workspace_id)]

    typer.echo(json.dumps(_run(ctx, work, workspace), indent=2))


@integrations_app.command("set")
def set_connector(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The connector's name in this workspace.")],
    kind: Annotated[str, typer.Option(help="http or shopify.")],
    config: Annotated[
        Path,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="YAML file: for http the mapping itself, for shopify `shop:` (and api_version).",
        ),
    ],
    secret_env: Annotated[
        list[str] | None,
        typer.Option(
            "--secret-env",
            help="NAME=ENV_VAR: store the secret NAME from this environment variable "
            "(never on the command line). Repeat for each secret.",
        ),
    ] = None,
    serves_flows: Annotated[
        bool, typer.Option("--serves-flows", help="This connector answers the Tier 1 flows.")
    ] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Create or replace a connector; its settings are validated and its secrets sealed."""
    from hybridcx.integrations import service
    from hybridcx.integrations.kinds import ConnectorError

    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise _fail(f"{config}: not valid YAML ({exc})") from None
    settings = {"mapping": data} if kind == "http" else data
    secrets: dict[str, str] = {}
    for item in secret_env or []:
        key, _, var = item.partition("=")
        if not key or not var:
            raise _fail(f"--secret-env takes NAME=ENV_VAR, not {item!r}")
        if var not in os.environ:
            raise _fail(f"environment variable {var} is not set")
        secrets[key] = os.environ[var]

    async def work(session: Any, workspace_id: str) -> dict[str, Any]:
        row = await service.save(
            session,
            workspace_id,
            name,
            kind_name=kind,
            settings=settings if isinstance(settings, dict) else {},
            secrets=secrets or None,
            serves_flows=serves_flows,
        )
        return service.public(row)

    try:
        saved = _run(ctx, work, workspace)
    except ConnectorError as exc:
        raise _fail(str(exc)) from None
    typer.echo(json.dumps(saved, indent=2))


@integrations_app.command("remove")
def remove_connector(ctx: typer.Context, name: str, workspace: WorkspaceOpt = None) -> None:
    """Delete a connector (the flows fall back to the demo tables if it served them)."""
    from sqlalchemy import delete

    from hybridcx.integrations import service
    from hybridcx.models import IntegrationSync

    async def work(session: Any, workspace_id: str) -> bool:
        row = await service.connector(session, workspace_id, name)
        if row is None:
            return False
        await session.execute(delete(IntegrationSync).where(IntegrationSync.connector_id == row.id))
        await session.delete(row)
        return True

    if not _run(ctx, work, workspace):
        raise _fail(f"no connector {name!r}")
    typer.echo(f"removed {name}")


@integrations_app.command("test")
def test_connector(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The connector to check.")],
    email: Annotated[str, typer.Option(help="A customer's email to look up.")] = "test@example.com",
    order: Annotated[str, typer.Option(help="An order number to look up.")] = "1001",
    workspace: WorkspaceOpt = None,
) -> None:
    """Check a connector against the live system with read-only calls; print what works.
    Exits 1 when a check fails."""
    from hybridcx.integrations import service
    from hybridcx.integrations.kinds import Check, Probe
    from hybridcx.kit.ids import utcnow

    async def work(session: Any, workspace_id: str) -> list[Check] | None:
        row = await service.connector(session, workspace_id, name)
        if row is None:
            return None
        return await service.check(row, Probe(email, order, utcnow()))

    checks = _run(ctx, work, workspace)
    if checks is None:
        raise _fail(f"no connector {name!r}")
    for c in checks:
        typer.echo(f"{'ok  ' if c.ok else 'FAIL'}  {c.name:<15} {c.detail}")
    failed = [c for c in checks if not c.ok]
    typer.echo(f"{len(checks) - len(failed)} of {len(checks)} checks passed")
    if failed:
        raise typer.Exit(1)
