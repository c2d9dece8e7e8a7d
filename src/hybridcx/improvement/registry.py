"""The model registry: versioned intent models on disk with a JSON index.

Layout (under HYBRIDCX_NLU_REGISTRY_DIR, default <data dir>/nlu-registry)::

    registry.json              {"active": "v0002", "versions": [...], "history": [...]}
    versions/v0001/model.json  the classifier (JSON + npz, never pickle; see nlu/storage.py)
    versions/v0001/arrays.npz
    versions/v0001/training_data.csv   exactly what it was trained on (PII already removed)

Each version records created_at, status (active | candidate | retired | refused), parent, the
training data's fingerprint, its metrics and the gate's verdict. `registry.json` is replaced
atomically (write + rename), so a server reading it never sees half a file; writers take an
exclusive lock file so two retrains cannot interleave.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hybridcx.kit.errors import Conflict, NotFound
from hybridcx.kit.ids import utcnow
from hybridcx.kit.time import iso

INDEX = "registry.json"
STATUSES = ("active", "candidate", "retired", "refused")


@dataclass
class ModelVersion:
    id: str
    created_at: str
    status: str
    parent: str | None
    fingerprint: str
    n_examples: int
    metrics: dict[str, Any] = field(default_factory=dict)
    gate: dict[str, Any] = field(default_factory=dict)
    note: str = ""


class ModelRegistry:
    def __init__(self, root: Path) -> None:
        self.root = root

    # ---- reading ---------------------------------------------------------------------------

    @property
    def index_path(self) -> Path:
        return self.root / INDEX

    def _read(self) -> dict[str, Any]:
        if not self.index_path.is_file():
            return {"active": None, "versions": [], "history": []}
        data: dict[str, Any] = json.loads(self.index_path.read_text(encoding="utf-8"))
        return data

    def versions(self) -> list[ModelVersion]:
        return [ModelVersion(**v) for v in self._read()["versions"]]

    def active_id(self) -> str | None:
        active: str | None = self._read().get("active")
        return active

    def get(self, version_id: str) -> ModelVersion:
        for version in self.versions():
            if version.id == version_id:
                return version
        raise NotFound(f"No model version {version_id!r} in {self.root}.")

    def active(self) -> ModelVersion | None:
        active = self.active_id()
        return self.get(active) if active else None

    def path_of(self, version_id: str) -> Path:
        return self.root / "versions" / version_id

    def history(self) -> list[dict[str, Any]]:
        history: list[dict[str, Any]] = self._read().get("history", [])
        return history

    # ---- writing ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive across processes (retrain, rollback, the scheduled job)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _write(self, data: dict[str, Any]) -> None:
        tmp = self.root / f".{INDEX}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.index_path)

    def next_id(self) -> str:
        return f"v{len(self._read()['versions']) + 1:04d}"

    def add(self, version: ModelVersion, model_dir: Path, training_csv: str) -> ModelVersion:
        """Move a saved model directory into the registry as `version` (call under `locked`)."""
        target = self.path_of(version.id)
        if target.exists():
            raise Conflict(f"Model version {version.id} already exists in {self.root}.")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(model_dir), str(target))
        (target / "training_data.csv").write_text(training_csv, encoding="utf-8")
        data = self._read()
        data["versions"].append(asdict(version))
        if version.status == "active":
            self._activate(data, version.id, reason="promoted")
        self._write(data)
        return version

    def activate(
        self, version_id: str, *, reason: str, rolled_back: str | None = None
    ) -> ModelVersion:
        """Make `version_id` the active model (call under `locked`)."""
        data = self._read()
        if not any(v["id"] == version_id for v in data["versions"]):
            raise NotFound(f"No model version {version_id!r} in {self.root}.")
        self._activate(data, version_id, reason=reason, rolled_back=rolled_back)
        self._write(data)
        return self.get(version_id)

    @staticmethod
    def _activate(
        data: dict[str, Any], version_id: str, *, reason: str, rolled_back: str | None = None
    ) -> None:
        for v in data["versions"]:
            if v["id"] == version_id:
                v["status"] = "active"
            elif v["status"] == "active":
                v["status"] = "retired"
        data["active"] = version_id
        data.setdefault("history", []).append(
            {"version": version_id, "at": iso(utcnow()), "reason": reason, "from": rolled_back}
        )

    def previous_active(self) -> str | None:
        """What `rollback` restores: the version the active one was gated against (its parent),
        else the last other version that was active."""
        current = self.active()
        if current is None:
            return None
        if current.parent and current.parent != current.id:
            return current.parent
        for entry in reversed(self.history()):
            if entry["version"] != current.id:
                return str(entry["version"])
        return None
