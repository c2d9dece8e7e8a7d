"""Stored quality scores: each finished conversation is scored once against the workspace's
rubric and kept with the rubric's version; aggregates read the stored rows.

A conversation is scored when it is resolved (``score_finished``, after the resolve commits)
and by the sweep (``sweep``, run on a timer by the server and by ``hybridcx quality backfill``),
which catches what the first path missed: conversations resolved before scores were stored,
the AI's conversations once it has been done with them for ``AI_IDLE``, and any conversation
changed since it was scored. Scoring one conversation reads only that conversation and the
stored handle times of its peers, never the workspace's history."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hybridcx.analytics.facts import EventRow, replay
from hybridcx.compliance.rubric import with_policy_disclosures
from hybridcx.conversations import repository as conversations
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import NotFound
from hybridcx.kit.ids import new_id, utcnow
from hybridcx.kit.tasks import reraise_if_cancelled
from hybridcx.models import Conversation, ConversationEvent, QualityScore
from hybridcx.quality import repository
from hybridcx.quality.deps import ScoringDeps
from hybridcx.quality.rubric import (
    ConversationRecord,
    RubricConfig,
    load_rubric,
    rubric_path,
    score_conversation,
)
from hybridcx.quality.service import (
    AI_IDLE,
    META_INTENTS,
    QUALITY_EVENTS,
    peer_key,
    record_of,
    rubric_version,
)
from hybridcx.workspaces.policy_store import PolicyStore

log = structlog.get_logger(__name__)

PEER_DAYS = 30
MAX_PEERS = 2000
SWEEP_BATCH = 200


def rubric_for(policies: PolicyStore, slug: str) -> RubricConfig:
    """The workspace's rubric file, with its policy's required disclosures (regulated wording
    too) added to the compliance criterion."""
    rubric = load_rubric(rubric_path(policies.policy_dir, slug))
    return with_policy_disclosures(rubric, policies.policy(slug))


async def workspace_rubric(rt: ScoringDeps, workspace_id: str) -> RubricConfig:
    async with rt.sessions() as session:
        ws = await conversations.get_workspace(session, workspace_id)
    return rubric_for(rt.policies, ws.slug)


def finished_at(conv: Conversation) -> datetime:
    return conv.resolved_at or conv.updated_at


async def _events(session: AsyncSession, conversation_id: str) -> list[EventRow]:
    e = ConversationEvent
    stmt = (
        select(e)
        .where(e.conversation_id == conversation_id, e.type.in_(QUALITY_EVENTS))
        .order_by(e.seq)
    )
    return [
        EventRow(ev.conversation_id, ev.type, ev.created_at, ev.actor, ev.actor_id, ev.data or {})
        for ev in (await session.execute(stmt)).scalars()
    ]


async def _peer_handle_seconds(
    session: AsyncSession, workspace_id: str, key: str, before: datetime, conversation_id: str
) -> list[float]:
    q = QualityScore
    stmt = (
        select(q.handle_seconds)
        .where(
            q.workspace_id == workspace_id,
            q.peer_key == key,
            q.finished_at >= before - timedelta(days=PEER_DAYS),
            q.finished_at <= before,
            q.handle_seconds.is_not(None),
            q.conversation_id != conversation_id,
        )
        .order_by(q.finished_at.desc())
        .limit(MAX_PEERS)
    )
    return [float(x) for x in (await session.execute(stmt)).scalars() if x is not None]


async def compute(
    session: AsyncSession, conv: Conversation, rubric: RubricConfig
) -> tuple[ConversationRecord, str, dict[str, Any]]:
    """``conv``'s record, its handle-time peer key, and its score against ``rubric``."""
    events = await _events(session, conv.id)
    facts = replay(events, meta_intents=META_INTENTS).get(conv.id)
    category = next(
        (
            str(e.data["category"])
            for e in reversed(events)
            if e.type == "conversation.resolved" and e.data.get("category")
        ),
        None,
    )
    lines = await repository.public_lines(session, [conv.id])
    knowledge = await repository.knowledge_uses(session, [conv.id])
    record = record_of(conv, lines[conv.id], facts, category, knowledge.get(conv.id, []))
    key = peer_key(record.category, record.intent)
    peers = await _peer_handle_seconds(session, conv.workspace_id, key, finished_at(conv), conv.id)
    return record, key, score_conversation(record, rubric, peer_handle_seconds=peers)


async def score_one(
    session: AsyncSession, workspace_id: str, conversation_id: str, rubric: RubricConfig
) -> dict[str, Any]:
    """One conversation scored now, with evidence (the supervisor's view; not stored)."""
    conv = await repository.conversation_in(session, workspace_id, conversation_id)
    if conv is None:
        raise NotFound("Conversation not found.")
    _, _, result = await compute(session, conv, rubric)
    result["status"] = conv.status
    return result


async def score_and_store(
    session: AsyncSession, conv: Conversation, rubric: RubricConfig, *, now: datetime
) -> QualityScore:
    """Score ``conv`` and insert or replace its stored score (inside the caller's transaction)."""
    record, key, result = await compute(session, conv, rubric)
    row = (
        await session.execute(select(QualityScore).where(QualityScore.conversation_id == conv.id))
    ).scalar_one_or_none()
    if row is None:
        row = QualityScore(id=new_id(), workspace_id=conv.workspace_id, conversation_id=conv.id)
        session.add(row)
    row.handler = record.handler
    row.score = result["score"]
    row.criteria = result["criteria"]
    row.intent, row.category, row.peer_key = record.intent, record.category, key
    row.handle_seconds = record.handle_seconds
    row.rubric_version = rubric_version(rubric)
    # never before the conversation's last change, so the sweep does not take it for stale
    row.started_at, row.finished_at = conv.created_at, finished_at(conv)
    row.scored_at = max(now, conv.updated_at)
    return row


async def score_finished(rt: ScoringDeps, conversation_id: str) -> None:
    """Store the score of a conversation that was just resolved. Best effort: a failure is
    logged and the sweep scores it later; resolving never fails because of quality."""
    try:
        async with rt.sessions() as session:
            conv = await conversations.get_conversation(session, conversation_id)
        if conv is None or conv.status != "resolved":
            return
        rubric = await workspace_rubric(rt, conv.workspace_id)
        async with transaction(rt.sessions) as session:
            conv = await conversations.get_conversation(session, conversation_id)
            if conv is not None:
                await score_and_store(session, conv, rubric, now=utcnow())
    except Exception as exc:  # the sweep retries; quality never blocks a resolution
        log.warning("quality.score_failed", conversation_id=conversation_id, error=str(exc))


def _unscored(workspace_id: str, cutoff: datetime, rubric: str | None) -> Select[Any]:
    c, q = Conversation, QualityScore
    stale = or_(q.id.is_(None), q.scored_at < c.updated_at)
    if rubric is not None:
        stale = or_(stale, q.rubric_version != rubric)
    return (
        select(c)
        .outerjoin(q, q.conversation_id == c.id)
        .where(
            c.workspace_id == workspace_id,
            or_(c.status == "resolved", and_(c.status == "bot", c.updated_at < cutoff)),
            stale,
        )
        .order_by(c.created_at, c.id)
        .limit(SWEEP_BATCH)
    )


async def sweep(
    sessions: async_sessionmaker[AsyncSession],
    policies: PolicyStore,
    *,
    now: datetime | None = None,
    rescore: bool = False,
) -> int:
    """Score every finished conversation without a current stored score, in every workspace;
    with ``rescore``, also those scored with another rubric version. Returns how many."""
    now = now or utcnow()
    cutoff = now - AI_IDLE
    async with sessions() as session:
        workspaces = await repository.workspace_slugs(session)
    total = 0
    for workspace_id, slug in workspaces:
        rubric = rubric_for(policies, slug)
        version = rubric_version(rubric) if rescore else None
        while True:
            async with transaction(sessions) as session:
                batch = list(
                    (await session.execute(_unscored(workspace_id, cutoff, version))).scalars()
                )
                for conv in batch:
                    await score_and_store(session, conv, rubric, now=now)
            total += len(batch)
            if len(batch) < SWEEP_BATCH:
                break
    if total:
        log.info("quality.swept", scored=total)
    return total


async def sweep_loop(rt: ScoringDeps, interval_seconds: float) -> None:
    """Every ``interval_seconds``, score what finished without a score (the server runs this)."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            await sweep(rt.sessions, rt.policies)
        except Exception as exc:  # never let quality take the server down
            reraise_if_cancelled(exc)
            log.warning("quality.sweep_failed", error=str(exc))
