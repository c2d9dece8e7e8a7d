"""`hybridcx scripts check`: validate agent scripts and segment profiles files before use."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

scripts_app = typer.Typer(help="Agent scripts and segment profiles.", no_args_is_help=True)


@scripts_app.command("check")
def check(
    path: Annotated[Path, typer.Argument(help="A scripts YAML file (scripts: [...]).")],
    segments: Annotated[
        bool, typer.Option("--segments", help="The file is segment profiles instead.")
    ] = False,
) -> None:
    """Check a file: every step, branch, placeholder and policy override; exit 1 with the
    problem named."""
    from hybridcx.kit.errors import InvalidInput
    from hybridcx.scripting.spec import parse_file
    from hybridcx.segments.profiles import parse_segments_file

    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        typer.echo(f"Cannot read {path}: {exc.strerror}", err=True)
        raise typer.Exit(1) from None
    try:
        if segments:
            profiles = parse_segments_file(text, source=str(path))
            typer.echo(f"{path}: {len(profiles.segments)} segment profiles OK")
        else:
            loaded = parse_file(text, source=str(path))
            steps = sum(len(s.steps) for s in loaded.scripts)
            typer.echo(
                f"{path}: {len(loaded.scripts)} scripts, {steps} steps OK "
                f"(enforcement {loaded.enforcement})"
            )
    except InvalidInput as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(1) from None
