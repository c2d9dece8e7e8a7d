"""Where the strategy finds a workspace's outcome model: files (server) or memory (simulator)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import structlog

from hybridcx.routing.model import OutcomeModel

log = structlog.get_logger(__name__)


class ModelStore(Protocol):
    def get(self, workspace_id: str | None) -> OutcomeModel | None:
        """The workspace's current model, or None when there is none (or it cannot be read)."""
        ...


class StaticModelStore:
    """One model for every workspace (the simulator, tests)."""

    def __init__(self, model: OutcomeModel | None) -> None:
        self.model = model

    def get(self, workspace_id: str | None) -> OutcomeModel | None:
        return self.model


class FileModelStore:
    """``<dir>/<workspace id>.json`` is the current model; ``<dir>/versions/`` keeps every one
    trained. Each file is re-read when it changes (another process may have retrained)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._cache: dict[str, tuple[float, OutcomeModel | None]] = {}

    def path_for(self, workspace_id: str) -> Path:
        return self.directory / f"{workspace_id}.json"

    def get(self, workspace_id: str | None) -> OutcomeModel | None:
        if workspace_id is None:
            return None
        path = self.path_for(workspace_id)
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            return None
        cached = self._cache.get(workspace_id)
        if cached and cached[0] == mtime:
            return cached[1]
        try:
            model: OutcomeModel | None = OutcomeModel.load(path)
        except (ValueError, KeyError, TypeError) as exc:
            log.error("routing.model_unreadable", path=str(path), error=str(exc))
            model = None
        self._cache[workspace_id] = (mtime, model)
        return model

    def save(self, workspace_id: str, model: OutcomeModel) -> Path:
        model.save(self.directory / "versions" / f"{workspace_id}-{model.version}.json")
        return model.save(self.path_for(workspace_id))
