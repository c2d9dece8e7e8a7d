"""`hybridcx nlu discover | examples | retrain | models | rollback`: the learning loop from the
terminal, against the configured database and model registry (HYBRIDCX_* settings)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any

import typer

WorkspaceOption = Annotated[
    str | None, typer.Option(help="Workspace slug; default: the default workspace.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]

# Mounted without a name on the `hybridcx nlu` group by the entry point (hybridcx/cli.py).
learning_app = typer.Typer()


def _run(ctx: typer.Context, work: Callable[[Any], Coroutine[Any, Any, Any]]) -> Any:
    """Run `work(service)` with a runtime built from the settings; errors exit 2 with a message."""
    from hybridcx.improvement.service import ImprovementService
    from hybridcx.kit.cli import command_context
    from hybridcx.kit.errors import AppError

    context = command_context(ctx)

    async def go() -> Any:
        runtime = context.runtime()
        try:
            return await work(ImprovementService(runtime))
        finally:
            await runtime.engine.dispose()

    from hybridcx.nlu.errors import NLUError

    try:
        return asyncio.run(go())
    except AppError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from exc
    except NLUError as exc:  # bad training data
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


async def _workspace_id(service: Any, slug: str | None) -> str:
    from hybridcx.improvement.repository import find_workspace
    from hybridcx.kit.errors import NotFound

    async with service.rt.sessions() as session:
        ws = await find_workspace(session, slug=slug)
    if ws is None:
        raise NotFound(f"No workspace {slug!r}." if slug else "No default workspace.")
    return str(ws.id)


@learning_app.command("discover")
def discover(
    ctx: typer.Context, workspace: WorkspaceOption = None, as_json: JsonOption = False
) -> None:
    """Cluster the messages the AI could not handle; print each cluster and its suggestion."""

    async def work(service: Any) -> Any:
        return await service.discover(await _workspace_id(service, workspace))

    clusters = _run(ctx, work)
    if as_json:
        typer.echo(json.dumps(clusters, indent=2, ensure_ascii=False))
        return
    if not clusters:
        typer.echo("No clusters: too few unhandled messages, or none alike.")
    for c in clusters:
        if c["suggestion"] == "existing_intent":
            advice = f"more examples for existing intent {c['nearest_intent']}"
        else:
            advice = f"new intent {c['label']!r}"
        typer.echo(
            f"cluster {c['id'][:8]}  {c['size']} messages  keywords: {', '.join(c['keywords'])}\n"
            f"  suggestion: {advice} (nearest intent {c['nearest_intent']}, "
            f"similarity {c['similarity']:.2f})"
        )
        for example in c["examples"][:5]:
            typer.echo(f"    - {example['text']}")


@learning_app.command("examples")
def examples(
    ctx: typer.Context,
    workspace: WorkspaceOption = None,
    status: Annotated[
        str | None, typer.Option(help="candidate | accepted | rejected | used")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List the training examples learned from resolved conversations and discovery."""
    from hybridcx.improvement.repository import list_examples
    from hybridcx.improvement.service import example_read

    async def work(service: Any) -> Any:
        ws_id = await _workspace_id(service, workspace)
        async with service.rt.sessions() as session:
            rows = await list_examples(session, ws_id, statuses=[status] if status else None)
        return [example_read(e) for e in rows]

    rows = _run(ctx, work)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for e in rows:
        typer.echo(
            f"{e['id'][:8]}  {e['status']:<9} {e['intent']:<24} ({e['intent_source']}) {e['text']}"
        )


def _print_outcome(result: dict[str, Any]) -> None:
    if result["baseline"]:
        b = result["baseline"]
        typer.echo(f"registry was empty: baseline {b['id']} trained on {b['n_examples']} examples")
    if result["skipped"]:
        typer.echo(f"not retrained: {result['skipped']}")
        return
    v = result["version"]
    gate = v["gate"]
    typer.echo(
        f"candidate {v['id']} trained on {v['n_examples']} examples in "
        f"{result['train_seconds']:.1f} s (fingerprint {v['fingerprint'][:12]}), "
        f"compared with {gate['against']}:"
    )
    typer.echo(f"  {'set':<8} {'metric':<11} {'candidate':>9} {'active':>7} {'margin':>7}  ok")
    for c in gate["checks"]:
        typer.echo(
            f"  {c['set']:<8} {c['metric']:<11} {c['candidate']:>9.4f} {c['active']:>7.4f} "
            f"{c['margin']:>7.3f}  {'yes' if c['ok'] else 'NO'}"
        )
    for note in gate["notes"]:
        typer.echo(f"  note: {note}")
    typer.echo(f"PROMOTED {v['id']}: now active" if result["promoted"] else f"REFUSED {v['id']}")


@learning_app.command("retrain")
def retrain(
    ctx: typer.Context,
    workspace: WorkspaceOption = None,
    data: Annotated[
        Path | None,
        typer.Option(
            help="Base intent examples (.yaml or .csv); default HYBRIDCX_NLU_TRAINING_DATA, "
            "else the demo intents."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Train a candidate (base intents + the workspace's accepted examples), gate it against the
    active model on the frozen evaluation set and recent labelled traffic, promote or refuse.
    Exit status 1 when the gate refuses the candidate."""

    async def work(service: Any) -> Any:
        return await service.retrain(workspace, base_data=data)

    result = _run(ctx, work)
    if as_json:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        _print_outcome(result)
    if result["version"] and not result["promoted"]:
        raise typer.Exit(1)


@learning_app.command("models")
def models(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """The versions in the model registry, newest first."""
    from hybridcx.improvement.registry import ModelRegistry
    from hybridcx.kit.cli import cli_settings

    registry = ModelRegistry(cli_settings(ctx).effective_nlu_registry_dir)
    versions = list(reversed(registry.versions()))
    if as_json:
        typer.echo(json.dumps([v.__dict__ for v in versions], indent=2))
        return
    if not versions:
        typer.echo(f"The registry in {registry.root} is empty: run `hybridcx nlu retrain`.")
        return
    typer.echo(
        f"{'version':<8} {'status':<9} {'created':<20} {'examples':>8} {'acc':>6} "
        f"{'oos_rec':>7} {'ece':>6}  parent  fingerprint"
    )
    for v in versions:
        frozen = v.metrics.get("frozen", {})
        typer.echo(
            f"{v.id:<8} {v.status:<9} {v.created_at[:19]:<20} {v.n_examples:>8} "
            f"{frozen.get('accuracy', 0):>6.3f} {frozen.get('oos_recall', 0):>7.3f} "
            f"{frozen.get('ece', 0):>6.3f}  {v.parent or '-':<6}  {v.fingerprint[:12]}"
        )


@learning_app.command("rollback")
def rollback(
    ctx: typer.Context,
    version: Annotated[
        str | None, typer.Argument(help="Version to restore; default: the previous active one.")
    ] = None,
) -> None:
    """Make a previous model version active again (running servers switch within seconds)."""
    from hybridcx.improvement.registry import ModelRegistry
    from hybridcx.improvement.retrain import rollback as do_rollback
    from hybridcx.kit.cli import cli_settings
    from hybridcx.kit.errors import AppError

    try:
        previous, current = do_rollback(
            ModelRegistry(cli_settings(ctx).effective_nlu_registry_dir), version
        )
    except AppError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"rolled back: {current} is active again (was {previous})")
