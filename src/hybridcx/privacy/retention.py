"""Retention: personal content older than the workspace's policy goes; metrics stay.

Run by the server every HYBRIDCX_RETENTION_INTERVAL_SECONDS (with pending erasures) and by
``hybridcx privacy retention --run``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import delete, select

from hybridcx.kit.db import transaction
from hybridcx.kit.ids import utcnow
from hybridcx.models import Case, Conversation, Message, Workspace
from hybridcx.privacy import erasure
from hybridcx.privacy.registry import PersonalDataStore, RetentionContext, Skip, registered_stores

if TYPE_CHECKING:
    from hybridcx.privacy.deps import RetentionDeps

log = structlog.get_logger(__name__)

#: Conversations handled per transaction, so a first run over years of history stays small.
BATCH = 200


@dataclass
class RetentionResult:
    workspaces: dict[str, dict[str, int]] = field(default_factory=dict)
    erasures: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"workspaces": self.workspaces, "erasures_completed": self.erasures}


async def run_retention(rt: RetentionDeps, *, now: datetime | None = None) -> RetentionResult:
    now = now or utcnow()
    result = RetentionResult()
    async with rt.sessions() as session:
        workspaces = [(w.id, w.slug) for w in (await session.execute(select(Workspace))).scalars()]
    for ws_id, slug in workspaces:
        policy = rt.policies.policy(slug).retention
        counts = {"conversations": 0, "messages": 0, "conversation_events": 0, "cases": 0}
        if policy.transcripts_days is not None:
            await _purge_transcripts(
                rt, ws_id, now - timedelta(days=policy.transcripts_days), counts
            )
        if policy.cases_days is not None:
            async with transaction(rt.sessions) as session:
                res = await session.execute(
                    delete(Case).where(
                        Case.workspace_id == ws_id,
                        Case.created_at < now - timedelta(days=policy.cases_days),
                    )
                )
                counts["cases"] += res.rowcount or 0  # type: ignore[attr-defined]
        if any(counts.values()):
            async with rt.sessions() as session:
                await rt.knowledge.cases(session, ws_id)
        result.workspaces[slug] = counts
    result.erasures = await erasure.run_pending(rt)
    return result


async def _purge_transcripts(
    rt: RetentionDeps, ws_id: str, cutoff: datetime, counts: dict[str, int]
) -> None:
    """Resolved conversations that ended before ``cutoff`` and still have a transcript: every
    registered store drops its part (registry.py), a batch per transaction; then one call
    without conversations lets stores sweep rows that outlived their transcript."""
    stores = [s for s in registered_stores() if not isinstance(s.retain, Skip)]
    while True:
        async with transaction(rt.sessions) as session:
            has_messages = select(Message.conversation_id).where(
                Message.conversation_id == Conversation.id
            )
            ids = list(
                (
                    await session.execute(
                        select(Conversation.id)
                        .where(
                            Conversation.workspace_id == ws_id,
                            Conversation.status == "resolved",
                            Conversation.resolved_at < cutoff,
                            has_messages.exists(),
                        )
                        .limit(BATCH)
                    )
                )
                .scalars()
                .all()
            )
            await _retain_batch(rt, session, stores, ws_id, cutoff, ids, counts)
            if not ids:
                return
            counts["conversations"] += len(ids)


async def _retain_batch(
    rt: RetentionDeps,
    session: Any,
    stores: list[PersonalDataStore],
    ws_id: str,
    cutoff: datetime,
    ids: list[str],
    counts: dict[str, int],
) -> None:
    ctx = RetentionContext(
        session=session, runtime=rt, workspace_id=ws_id, cutoff=cutoff, conversation_ids=ids
    )
    for store in stores:
        assert not isinstance(store.retain, Skip)
        n = await store.retain(ctx)
        if store.name != "conversations":
            counts[store.name] = counts.get(store.name, 0) + n


async def retention_loop(rt: RetentionDeps, interval_seconds: int) -> None:
    """The server's scheduled privacy job (retention + pending erasures), until cancelled."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            result = await run_retention(rt)
            log.info(
                "privacy.retention_run",
                erasures=result.erasures,
                **{slug: sum(c.values()) for slug, c in result.workspaces.items()},
            )
        except Exception as exc:  # a failed run is retried at the next interval
            log.error("privacy.retention_failed", error=str(exc))
