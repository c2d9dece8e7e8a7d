"""Audit entries the server writes itself: a model going live, a policy file changing.

A model is "deployed" when a server starts with model files it has not run before (trained by
``hybridcx nlu train`` or on first start); the entry carries the SHA-256 of ``model.json``
(which itself pins the arrays file's hash). Policy files (``<data dir>/policies/*.yaml``) are
picked up by the server when they change; the watcher records each new content hash.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import select

from hybridcx.audit import record
from hybridcx.kit.db import transaction
from hybridcx.kit.tasks import reraise_if_cancelled
from hybridcx.models import AuditEntry

log = structlog.get_logger(__name__)


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


async def _last_details(session: Any, action: str, target_id: str) -> dict[str, Any] | None:
    stmt = (
        select(AuditEntry.details)
        .where(AuditEntry.action == action, AuditEntry.target_id == target_id)
        .order_by(AuditEntry.at.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def record_model_deployment(runtime: Any, settings: Any) -> None:
    if not settings.nlu_enabled:
        return
    model_dir = settings.effective_nlu_model_dir
    digest = _sha256(model_dir / "model.json")
    if digest is None:
        return
    async with transaction(runtime.sessions) as session:
        last = await _last_details(session, "model.deployed", "intent-model")
        if last and last.get("sha256") == digest:
            return
        record(
            session,
            action="model.deployed",
            actor_type="system",
            target_type="model",
            target_id="intent-model",
            details={
                "sha256": digest,
                "path": str(model_dir),
                "previous": (last or {}).get("sha256"),
            },
        )


class PolicyWatcher:
    """Records ``policy.changed`` (file name, new and previous hash) when a policy file changes."""

    def __init__(self, runtime: Any, policy_dir: Path, *, interval: float = 5.0) -> None:
        self.runtime = runtime
        self.policy_dir = policy_dir
        self.interval = interval
        self._seen: dict[str, str] = {}
        self._task: asyncio.Task[None] | None = None

    async def check(self) -> int:
        changed = 0
        files = sorted(self.policy_dir.glob("*.yaml")) if self.policy_dir.is_dir() else []
        for path in files:
            digest = _sha256(path)
            if digest is None or self._seen.get(path.name) == digest:
                continue
            async with transaction(self.runtime.sessions) as session:
                last = await _last_details(session, "policy.changed", path.name)
                if not last or last.get("sha256") != digest:
                    record(
                        session,
                        action="policy.changed",
                        actor_type="system",
                        target_type="policy",
                        target_id=path.name,
                        details={"sha256": digest, "previous": (last or {}).get("sha256")},
                    )
                    changed += 1
            self._seen[path.name] = digest
        return changed

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            try:
                await self.check()
            except Exception as exc:  # never let auditing bring the server down
                reraise_if_cancelled(exc)
                log.warning("audit.policy_watch_failed", error=str(exc))
            await asyncio.sleep(self.interval)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
