"""`hybridcx experiments`: A/B experiments and rollouts against the configured database."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import typer

experiments_app = typer.Typer(
    help="A/B experiments and gradual rollouts with guardrails.", no_args_is_help=True
)

WorkspaceOpt = Annotated[
    str | None, typer.Option(help="Workspace slug; default: the default workspace.")
]


def _run(
    ctx: typer.Context, work: Callable[[Any, str], Awaitable[Any]], workspace: str | None
) -> Any:

    import structlog

    from hybridcx.analytics.repository import workspace_by_slug
    from hybridcx.kit.cli import cli_settings
    from hybridcx.kit.db import create_engine, session_factory, transaction, upgrade
    from hybridcx.kit.errors import AppError
    from hybridcx.kit.logging import stderr_logger_factory

    # Logs (a guardrail stopping an experiment) go to stderr: stdout is the command's output.
    structlog.configure(logger_factory=stderr_logger_factory())

    database_url = cli_settings(ctx).effective_database_url

    async def main() -> Any:
        engine = create_engine(database_url)
        try:
            await upgrade(engine)
            async with transaction(session_factory(engine)) as session:
                ws = await workspace_by_slug(session, workspace)
                if ws is None:
                    raise typer.BadParameter(f"no workspace {workspace or '(default)'}")
                return await work(session, ws.id)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except AppError as exc:
        typer.echo(f"Error: {exc.message}", err=True)
        raise typer.Exit(2) from exc


def _print(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


@experiments_app.command("list")
def list_cmd(ctx: typer.Context, workspace: WorkspaceOpt = None) -> None:
    """Every experiment: name, kind, status, treatment share."""
    from hybridcx.experiments import service

    async def work(session: Any, ws: str) -> list[dict[str, Any]]:
        return [service.experiment_read(e) for e in await service.list_all(session, ws)]

    for e in _run(ctx, work, workspace):
        arms = ", ".join(f"{a['name']} {a['share']:.0%}" for a in e["arms"])
        typer.echo(f"{e['name']:<28} {e['kind']:<8} {e['status']:<12} {arms}")


@experiments_app.command("create")
def create_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="YAML or JSON: the POST /api/v1/experiments body.")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Start an A/B experiment (or a rollout) described in a file."""
    import yaml
    from pydantic import ValidationError

    from hybridcx.experiments import service
    from hybridcx.experiments.spec import ExperimentCreate

    try:
        body = ExperimentCreate.model_validate(yaml.safe_load(file.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from exc

    async def work(session: Any, ws: str) -> dict[str, Any]:
        return service.experiment_read(await service.create(session, ws, body, created_by=None))

    _print(_run(ctx, work, workspace))


@experiments_app.command("rollout")
def rollout_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name of the rollout.")],
    treatment: Annotated[
        str, typer.Option(help='Overrides to roll out, JSON, e.g. {"confidence_threshold": 0.6}.')
    ],
    steps: Annotated[str, typer.Option(help="Treatment shares, in order.")] = "0.01,0.1,0.5,1",
    guardrail: Annotated[
        list[str] | None,
        typer.Option(help="metric:+bound (max increase) or metric:-bound (max decrease)."),
    ] = None,
    min_samples: Annotated[int, typer.Option(help="Per arm before a guardrail can fire.")] = 30,
    step_samples: Annotated[int, typer.Option(help="Treatment conversations per step.")] = 50,
    step_minutes: Annotated[float, typer.Option(help="Minimum minutes per step.")] = 60.0,
    workspace: WorkspaceOpt = None,
) -> None:
    """Start a gradual rollout (1% -> 10% -> 50% -> 100% by default) with guardrails."""
    from pydantic import ValidationError

    from hybridcx.experiments import service
    from hybridcx.experiments.spec import ExperimentCreate

    try:
        rules = []
        for g in guardrail or []:
            metric, _, bound = g.partition(":")
            key = "max_decrease" if bound.startswith("-") else "max_increase"
            rules.append({"metric": metric, key: abs(float(bound))})
        body = ExperimentCreate.model_validate(
            {
                "name": name,
                "kind": "rollout",
                "treatment": json.loads(treatment),
                "rollout": {
                    "steps": [float(s) for s in steps.split(",")],
                    "min_samples_per_step": step_samples,
                    "min_minutes_per_step": step_minutes,
                },
                "guardrails": rules,
                "min_samples": min_samples,
            }
        )
    except (ValueError, ValidationError) as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from exc

    async def work(session: Any, ws: str) -> dict[str, Any]:
        return service.experiment_read(await service.create(session, ws, body, created_by=None))

    _print(_run(ctx, work, workspace))


@experiments_app.command("show")
def show_cmd(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Experiment name or id.")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Evaluate now and print: arms, metrics, tests, guardrails (a breach stops it)."""
    from hybridcx.experiments import service

    async def work(session: Any, ws: str) -> dict[str, Any]:
        exp = await service.by_name_or_id(session, ws, key)
        await service.evaluate(session, exp)
        return service.experiment_read(exp)

    _print(_run(ctx, work, workspace))


@experiments_app.command("stop")
def stop_cmd(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Experiment name or id.")],
    reason: Annotated[str, typer.Option(help="Why.")] = "stopped from the command line",
    rollback: Annotated[bool, typer.Option(help="Roll a rollout back (share 0).")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Stop an experiment: everyone gets the workspace's defaults again."""
    from hybridcx.experiments import service

    async def work(session: Any, ws: str) -> dict[str, Any]:
        exp = await service.by_name_or_id(session, ws, key)
        service.stop(exp, reason=reason, status="rolled_back" if rollback else "stopped")
        return service.experiment_read(exp)

    e = _run(ctx, work, workspace)
    typer.echo(f"{e['name']}: {e['status']} ({e['stop_reason']})")


@experiments_app.command("check")
def check_cmd(ctx: typer.Context, workspace: WorkspaceOpt = None) -> None:
    """Evaluate every running experiment once (guardrails, rollout steps): for cron."""
    from hybridcx.experiments import service

    async def work(session: Any, ws: str) -> list[tuple[str, str]]:
        done = []
        for exp in await service.list_all(session, ws):
            if exp.status == "running" and (action := await service.evaluate(session, exp)):
                done.append((exp.name, action))
        return done

    for name, action in _run(ctx, work, workspace):
        typer.echo(f"{name}: {action}")
