"""The KPI rollup: one ``conversation_facts`` row per conversation, kept up to date from the log.

Replaying a 30-day window's events on every report costs seconds once history reaches a million
conversations. Instead, the analytics module keeps the replay's result per conversation and a
per-workspace watermark (``kpi_watermarks.next_seq``: every KPI event with a smaller seq is in the
facts). A report first catches up, replaying only events past the watermark onto the stored
facts of the conversations they touch, then reads the window's facts rows by (workspace,
created_at). Nothing outside analytics writes these tables: no hook into conversations/.

The watermark only moves up to events older than ``CLOCK_SLACK`` (seq order can trail commit
order by a transaction's length); the newer tail is replayed in memory on every report, so the
numbers are always current. Facts bake in ``meta_intents``; when the workspace's setting
changes, the workspace's rollup is rebuilt from the start of the log.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    delete,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.analytics.facts import ConversationFacts, from_state, replay, to_state
from hybridcx.analytics.repository import CLOCK_SLACK, seq_at, seq_range_events
from hybridcx.models import ConversationEvent
from hybridcx.models.base import Base

# Events replayed per catch-up step (by seq span), so a first catch-up over a long history
# never holds it all in memory.
BATCH_SEQ = 200_000
# Rows per IN (...) list: under SQLite's bound-parameter limit.
CHUNK = 500

conversation_facts = Table(
    "conversation_facts",
    Base.metadata,
    Column("conversation_id", String(36), primary_key=True),
    Column("workspace_id", String(36), nullable=False),
    Column("customer_id", String(36), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("channel", String(20), nullable=False),
    Column("tier", Integer, nullable=False),
    Column("intent", String(100), nullable=True),
    Column("contained", Boolean, nullable=False),
    Column("escalated", Boolean, nullable=False),
    Column("first_assigned_at", DateTime, nullable=True),
    Column("resolved_at", DateTime, nullable=True),
    Column("agent_id", String(36), nullable=True),
    Column("transfers", Integer, nullable=False),
    Column("turns", Integer, nullable=False),
    Column("csat", Integer, nullable=True),
    # The whole replay state (segments, queue waits, reasons...) as JSON text: the KPIs read
    # this; the columns above are for ad-hoc SQL.
    Column("state", Text, nullable=False),
    Index("ix_conversation_facts_workspace_created", "workspace_id", "created_at"),
)

kpi_watermarks = Table(
    "kpi_watermarks",
    Base.metadata,
    Column("workspace_id", String(36), primary_key=True),
    Column("next_seq", Integer, nullable=False),
    Column("meta_intents", Text, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)


def _row(workspace_id: str, f: ConversationFacts) -> dict[str, Any]:
    return {
        "conversation_id": f.id,
        "workspace_id": workspace_id,
        "customer_id": f.customer_id,
        "created_at": f.created_at,
        "channel": f.channel[:20],
        "tier": f.tier,
        "intent": f.intent[:100] if f.intent else None,
        "contained": f.contained,
        "escalated": f.escalated,
        "first_assigned_at": f.first_assigned_at,
        "resolved_at": f.resolved_at,
        "agent_id": f.segments[-1].agent_id[:36] if f.segments else None,
        "transfers": f.transfers,
        "turns": f.turns,
        "csat": f.csat,
        "state": json.dumps(to_state(f), separators=(",", ":")),
    }


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


async def _load(
    session: AsyncSession, workspace_id: str, ids: list[str]
) -> dict[str, ConversationFacts]:
    facts: dict[str, ConversationFacts] = {}
    conn = await session.connection()
    t = conversation_facts
    for chunk in _chunks(ids):
        stmt = select(t.c.state).where(
            t.c.workspace_id == workspace_id, t.c.conversation_id.in_(chunk)
        )
        for (state,) in await conn.execute(stmt):
            f = from_state(json.loads(state))
            facts[f.id] = f
    return facts


async def _save(session: AsyncSession, workspace_id: str, facts: list[ConversationFacts]) -> None:
    conn = await session.connection()
    t = conversation_facts
    for chunk in _chunks([f.id for f in facts]):
        await conn.execute(delete(t).where(t.c.conversation_id.in_(chunk)))
    if facts:
        await conn.execute(t.insert(), [_row(workspace_id, f) for f in facts])


async def _watermark(session: AsyncSession, workspace_id: str, meta: str, now: datetime) -> int:
    """The workspace's watermark, locked for this transaction (created at 0 if missing)."""
    conn = await session.connection()
    w = kpi_watermarks
    values = {"workspace_id": workspace_id, "next_seq": 0, "meta_intents": meta, "updated_at": now}
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        await conn.execute(
            postgresql.insert(w)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["workspace_id"])
        )
    else:
        from sqlalchemy.dialects import sqlite

        await conn.execute(
            sqlite.insert(w)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["workspace_id"])
        )
    # Concurrent reports queue here on PostgreSQL; SQLite serialises writers anyway.
    row = (
        await conn.execute(
            select(w.c.next_seq, w.c.meta_intents)
            .where(w.c.workspace_id == workspace_id)
            .with_for_update()
        )
    ).one()
    if row.meta_intents != meta:  # the facts' intents were chosen differently: rebuild
        await conn.execute(
            delete(conversation_facts).where(conversation_facts.c.workspace_id == workspace_id)
        )
        return 0
    return int(row.next_seq)


async def catch_up(
    session: AsyncSession, workspace_id: str, *, meta_intents: Iterable[str], now: datetime
) -> int:
    """Replay the workspace's events past its watermark into its facts; commit.

    Returns the new watermark: events from that seq on are not in the facts yet."""
    meta = json.dumps(sorted(meta_intents))
    stable = await seq_at(session, now - CLOCK_SLACK)
    mark = await _watermark(session, workspace_id, meta, now)
    while mark < stable:
        upto = min(stable, mark + BATCH_SEQ)
        events = await seq_range_events(session, workspace_id, first=mark, last=upto)
        if events:
            ids = sorted({e.conversation_id for e in events})
            facts = await _load(session, workspace_id, ids)
            replay(events, meta_intents=meta_intents, facts=facts)
            await _save(session, workspace_id, [facts[i] for i in ids if i in facts])
        mark = upto
    w = kpi_watermarks
    conn = await session.connection()
    await conn.execute(
        update(w)
        .where(w.c.workspace_id == workspace_id)
        .values(next_seq=max(mark, 0), meta_intents=meta, updated_at=now)
    )
    await session.commit()
    return mark


async def window_facts(
    session: AsyncSession,
    workspace_id: str,
    *,
    start: datetime,
    end: datetime,
    meta_intents: Iterable[str],
    now: datetime,
) -> list[ConversationFacts]:
    """Facts of the conversations started in [start, end), current to the end of the log."""
    meta = frozenset(meta_intents)
    mark = await catch_up(session, workspace_id, meta_intents=meta, now=now)
    t = conversation_facts
    stmt = select(t.c.state).where(
        t.c.workspace_id == workspace_id, t.c.created_at >= start, t.c.created_at < end
    )
    conn = await session.connection()
    facts = {f.id: f for f in (from_state(json.loads(s)) for (s,) in await conn.execute(stmt))}
    # The tail the watermark has not reached yet (the last minutes), replayed in memory.
    e_created = ConversationEvent.created_at
    tail = await seq_range_events(
        session, workspace_id, first=mark, where=(e_created >= start, e_created < end)
    )
    replay(tail, meta_intents=meta, facts=facts)
    return [f for f in facts.values() if start <= f.created_at < end]
