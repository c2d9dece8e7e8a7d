"""`hybridcx quality`: stored quality scores."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer

quality_app = typer.Typer(help="Quality: the stored conversation scores.", no_args_is_help=True)


@quality_app.command("backfill")
def backfill(
    ctx: typer.Context,
    rescore: Annotated[
        bool,
        typer.Option(help="Also rescore conversations scored with another rubric version."),
    ] = False,
) -> None:
    """Score every finished conversation that has no stored score yet (run once after
    upgrading; the server's sweep does the same a batch at a time)."""
    from hybridcx.kit.cli import cli_settings
    from hybridcx.kit.db import create_engine, session_factory, upgrade
    from hybridcx.kit.keys import keyring_from_settings
    from hybridcx.quality.scoring import sweep
    from hybridcx.workspaces.policy_store import PolicyStore

    settings = cli_settings(ctx)

    async def main() -> int:
        engine = create_engine(
            settings.effective_database_url, keyring=keyring_from_settings(settings)
        )
        try:
            await upgrade(engine)
            return await sweep(
                session_factory(engine), PolicyStore(settings.policy_dir), rescore=rescore
            )
        finally:
            await engine.dispose()

    typer.echo(json.dumps({"scored": asyncio.run(main())}))
