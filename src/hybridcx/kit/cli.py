"""What the `hybridcx` entry point hands every terminal command.

Domain command modules (``<domain>/cli.py``) sit below the composition layer, so they may not
import ``hybridcx.config`` or ``hybridcx.runtime``. The entry point (``hybridcx/cli.py``) puts a
:class:`CommandContext` on the Typer context (``ctx.obj``) in its root callback; a command takes
``ctx: typer.Context`` (Typer hides it from the options), asks :func:`command_context` and gets
the settings (built once per invocation, on first use, so a command that needs none never reads
the environment) and, when it needs the whole service graph, a runtime built from those settings
by the composition root.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer


class CommandContext:
    """The settings and runtime factory of one `hybridcx ...` invocation (``ctx.obj``)."""

    def __init__(
        self, load_settings: Callable[[], Any], build_runtime: Callable[[Any], Any]
    ) -> None:
        self._load_settings = load_settings
        self._build_runtime = build_runtime
        self._settings: Any = None

    def settings(self) -> Any:
        """The ``hybridcx.config.Settings`` of this invocation (read from the environment once)."""
        if self._settings is None:
            self._settings = self._load_settings()
        return self._settings

    def runtime(self, settings: Any = None) -> Any:
        """A new ``hybridcx.runtime.Runtime`` from ``settings`` (default: this invocation's).

        The caller owns it: it starts the bus if it needs one and disposes of the engine."""
        return self._build_runtime(self.settings() if settings is None else settings)


def command_context(ctx: typer.Context) -> CommandContext:
    """The :class:`CommandContext` of the command being run (``ctx`` is the command's)."""
    found = ctx.find_object(CommandContext)
    if found is None:
        raise RuntimeError("hybridcx commands run through the hybridcx entry point (hybridcx.cli)")
    return found


def cli_settings(ctx: typer.Context) -> Any:
    """Shorthand for ``command_context(ctx).settings()``."""
    return command_context(ctx).settings()
