"""`hybridcx keys` (encryption keys: status, rotate, reencrypt, prune, generate) and
`hybridcx privacy` (retention and pending erasures)."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Annotated, Any

import typer

keys_app = typer.Typer(help="Encryption keys for data at rest.", no_args_is_help=True)
privacy_app = typer.Typer(help="Retention and erasure jobs.", no_args_is_help=True)


def _settings(ctx: typer.Context) -> Any:
    from hybridcx.kit.cli import cli_settings

    return cli_settings(ctx)


def _fail(message: str) -> None:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(2)


async def _with_engine(settings: Any, fn: Any) -> Any:
    from hybridcx.kit.db import create_engine, upgrade
    from hybridcx.kit.keys import keyring_from_settings

    engine = create_engine(settings.effective_database_url, keyring=keyring_from_settings(settings))
    try:
        await upgrade(engine)
        return await fn(engine)
    finally:
        await engine.dispose()


@keys_app.command("status")
def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """How many stored values each key seals, per column, and which key is active."""
    from hybridcx.kit.keys import KeyError_, keyring_from_settings
    from hybridcx.privacy.rekey import key_usage, totals

    settings = _settings(ctx)
    try:
        ring = keyring_from_settings(settings)
        usage = asyncio.run(_with_engine(settings, lambda e: key_usage(e, settings.data_dir)))
    except KeyError_ as exc:
        _fail(str(exc))
        return
    total = totals(usage)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "active": ring.active,
                    "keys": sorted(ring.keyset.keys),
                    "source": ring.source,
                    "totals": dict(total),
                    "columns": {k: dict(v) for k, v in usage.items()},
                },
                indent=2,
            )
        )
        return
    typer.echo(f"Keys from {ring.source}; active key: {ring.active}")
    for kid in sorted(ring.keyset.keys):
        mark = " (active)" if kid == ring.active else ""
        typer.echo(f"  {kid}{mark}: {total.get(kid, 0)} values")
    if total.get("clear"):
        typer.echo(f"  not yet sealed: {total['clear']} values (run `hybridcx keys reencrypt`)")
    unknown = set(total) - set(ring.keyset.keys) - {"clear"}
    for kid in sorted(unknown):
        typer.echo(f"  {kid} (MISSING from the keyring): {total[kid]} values")


@keys_app.command("rotate")
def rotate(
    ctx: typer.Context,
    reencrypt_now: Annotated[
        bool,
        typer.Option("--reencrypt/--no-reencrypt", help="Re-seal existing rows now (batches)."),
    ] = True,
) -> None:
    """Add a new active key to the key file (old keys stay), then re-seal every row with it.

    Running servers keep working: they pick the new key up from the file within seconds and
    still open values sealed with the old ones. Back the key file up before and after."""
    from hybridcx.kit.keys import (
        KeyError_,
        KeySet,
        keyring_from_settings,
        new_key,
        new_key_id,
        read_key_file,
        write_key_file,
    )

    settings = _settings(ctx)
    try:
        ring = keyring_from_settings(settings)
    except KeyError_ as exc:
        _fail(str(exc))
        return
    if ring.path is None:
        _fail(
            "keys come from HYBRIDCX_ENCRYPTION_KEYS: run `hybridcx keys generate`, put the new "
            "kid:key first in the variable (keep the old ones after it), restart the servers, "
            "then run `hybridcx keys reencrypt`"
        )
        return
    current = read_key_file(ring.path)
    kid = new_key_id()
    write_key_file(ring.path, KeySet({**current.keys, kid: new_key()}, kid, current.index_key))
    typer.echo(f"New active key {kid} added to {ring.path} (old keys kept).")
    if reencrypt_now:
        _reencrypt(settings)


@keys_app.command("reencrypt")
def reencrypt(ctx: typer.Context) -> None:
    """Re-seal every stored value and attachment file that is not sealed with the active key
    (or not at all)."""
    _reencrypt(_settings(ctx))


def _reencrypt(settings: Any) -> None:
    from hybridcx.kit.keys import KeyError_
    from hybridcx.privacy.rekey import reencrypt as run

    def progress(column: str, n: int) -> None:
        typer.echo(f"  {column}: {n} re-sealed")

    try:
        changed = asyncio.run(
            _with_engine(settings, lambda e: run(e, progress=progress, data_dir=settings.data_dir))
        )
    except KeyError_ as exc:
        _fail(str(exc))
        return
    typer.echo(f"Re-sealed {changed} values with the active key.")


@keys_app.command("prune")
def prune(ctx: typer.Context) -> None:
    """Remove from the key file every old key that no stored value uses any more."""
    from hybridcx.kit.keys import KeyError_, KeySet, keyring_from_settings, write_key_file
    from hybridcx.privacy.rekey import key_usage, totals

    settings = _settings(ctx)
    try:
        ring = keyring_from_settings(settings)
        used = totals(
            asyncio.run(_with_engine(settings, lambda e: key_usage(e, settings.data_dir)))
        )
    except KeyError_ as exc:
        _fail(str(exc))
        return
    if ring.path is None:
        _fail("keys come from HYBRIDCX_ENCRYPTION_KEYS: remove unused ones from the variable")
        return
    keep = {k: v for k, v in ring.keyset.keys.items() if k == ring.active or used.get(k)}
    dropped = sorted(set(ring.keyset.keys) - set(keep))
    write_key_file(ring.path, KeySet(keep, ring.active, ring.keyset.index_key))
    typer.echo(f"Removed {len(dropped)} unused key(s): {', '.join(dropped) or 'none'}.")


@keys_app.command("generate")
def generate() -> None:
    """Print a new random key as kid:base64 (for HYBRIDCX_ENCRYPTION_KEYS) and an index key."""
    from hybridcx.kit.keys import new_key, new_key_id

    typer.echo(f"HYBRIDCX_ENCRYPTION_KEYS={new_key_id()}:{base64.b64encode(new_key()).decode()}")
    typer.echo(f"HYBRIDCX_BLIND_INDEX_KEY={base64.b64encode(new_key()).decode()}")


@privacy_app.command("retention")
def retention(
    ctx: typer.Context,
    run: Annotated[bool, typer.Option("--run", help="Apply the retention policies now.")] = False,
) -> None:
    """Show each workspace's retention policy; with --run, apply it (and run pending erasures)."""
    from hybridcx.kit.cli import command_context

    context = command_context(ctx)
    settings = context.settings()

    async def go() -> dict[str, Any]:
        from hybridcx.kit.db import upgrade
        from hybridcx.privacy.retention import run_retention

        rt = context.runtime(settings.model_copy(update={"nlu_enabled": False}))
        try:
            await upgrade(rt.engine)
            if run:
                return (await run_retention(rt)).to_dict()
            return await _policies(rt)
        finally:
            await rt.engine.dispose()

    typer.echo(json.dumps(asyncio.run(go()), indent=2))


async def _policies(rt: Any) -> dict[str, Any]:
    from sqlalchemy import select

    from hybridcx.models import Workspace

    async with rt.sessions() as session:
        slugs = [w.slug for w in (await session.execute(select(Workspace))).scalars()]
    return {s: rt.policies.policy(s).retention.model_dump() for s in slugs}
