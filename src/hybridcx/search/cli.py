"""`hybridcx search`: maintain the keyed search index."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

search_app = typer.Typer(
    help="Staff search: the keyed index of message words.", no_args_is_help=True
)


@search_app.command("reindex")
def reindex_command(
    ctx: typer.Context,
    workspace: Annotated[
        str | None, typer.Option(help="Workspace slug (default: every workspace).")
    ] = None,
) -> None:
    """Rebuild the index from the stored messages and customer names with the current
    blind-index key: after that key changed, or to index messages stored before the index
    existed. Safe to run while the server runs (new messages are indexed as they come)."""
    from hybridcx.kit.cli import cli_settings
    from hybridcx.kit.db import create_engine, session_factory, upgrade
    from hybridcx.kit.keys import keyring_from_settings
    from hybridcx.models import Workspace
    from hybridcx.search.index import reindex

    settings = cli_settings(ctx)

    async def main() -> dict[str, int]:
        engine = create_engine(
            settings.effective_database_url, keyring=keyring_from_settings(settings)
        )
        try:
            await upgrade(engine)
            sessions = session_factory(engine)
            workspace_id = None
            if workspace:
                from sqlalchemy import select

                async with sessions() as session:
                    stmt = select(Workspace.id).where(Workspace.slug == workspace)
                    workspace_id = (await session.execute(stmt)).scalar_one_or_none()
                if workspace_id is None:
                    typer.echo(f"Error: no workspace {workspace!r}", err=True)
                    raise typer.Exit(2)
            return await reindex(
                sessions,
                workspace_id=workspace_id,
                progress=lambda slug, n: typer.echo(f"  {slug}: {n} messages and customers"),
            )
        finally:
            await engine.dispose()

    totals = asyncio.run(main())
    typer.echo(
        f"Indexed {totals['messages']} messages and {totals['customers']} customer names "
        f"({totals['tokens']} keyed words)."
    )
