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

import copy
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    delete,
    select,
    type_coerce,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from hybridcx.analytics.facts import (
    ConversationFacts,
    Segment,
    from_state,
    replay,
    to_state,
)
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
    # The whole replay state as JSON text: catch-up continues the replay from it.
    Column("state", Text, nullable=False),
    # Added by migration 0012. Reports read the plain columns and ``detail`` only, never
    # ``state``: decoding a JSON document per row was most of a report's time at 1M.
    Column("taken_over", Boolean, nullable=True),
    Column("last_event_at", DateTime, nullable=True),
    Column("nps", Integer, nullable=True),
    Column("segment", String(20), nullable=True),
    Column("customer_value", Float, nullable=True),
    Column("orders", Integer, nullable=True),
    Column("revenue", Float, nullable=True),
    # Only for conversations people touched: reasons, queue waits, agent segments (JSON).
    Column("detail", Text, nullable=True),
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
        "taken_over": f.taken_over,
        "last_event_at": f.last_event_at,
        "nps": f.nps,
        "segment": f.segment[:20],
        "customer_value": f.customer_value,
        "orders": f.orders,
        "revenue": f.revenue,
        "detail": _detail(f),
    }


def _detail(f: ConversationFacts) -> str | None:
    if not (f.reasons or f.queue_waits or f.segments or f.queued_since):
        return None
    return json.dumps(
        [
            f.reasons,
            f.queue_waits,
            [[s.agent_id, s.start.isoformat(), _iso(s.end)] for s in f.segments],
            _iso(f.queued_since),
        ],
        separators=(",", ":"),
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _when(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value
    return datetime.fromisoformat(str(value))


# What a report reads per conversation: plain columns (datetimes as text: parsing them with
# ``fromisoformat`` is far cheaper than the driver's per-row type processing).
_REPORT_COLUMNS = (
    conversation_facts.c.conversation_id,
    conversation_facts.c.customer_id,
    type_coerce(conversation_facts.c.created_at, String),
    conversation_facts.c.channel,
    conversation_facts.c.tier,
    conversation_facts.c.intent,
    conversation_facts.c.turns,
    conversation_facts.c.transfers,
    conversation_facts.c.escalated,
    conversation_facts.c.taken_over,
    type_coerce(conversation_facts.c.first_assigned_at, String),
    type_coerce(conversation_facts.c.resolved_at, String),
    type_coerce(conversation_facts.c.last_event_at, String),
    conversation_facts.c.csat,
    conversation_facts.c.nps,
    conversation_facts.c.segment,
    conversation_facts.c.customer_value,
    conversation_facts.c.orders,
    conversation_facts.c.revenue,
    conversation_facts.c.detail,
)


def _from_columns(r: Any) -> ConversationFacts:
    f = ConversationFacts(
        id=r[0],
        created_at=_when(r[2]),  # type: ignore[arg-type]
        customer_id=r[1],
        channel=r[3],
        tier=r[4],
        intent=r[5],
        turns=r[6],
        transfers=r[7],
        escalated=bool(r[8]),
        taken_over=bool(r[9]),
        first_assigned_at=_when(r[10]),
        resolved_at=_when(r[11]),
        last_event_at=_when(r[12]),
        csat=r[13],
        nps=r[14],
        segment=r[15] or "unknown",
        customer_value=r[16],
        orders=r[17] or 0,
        revenue=r[18] or 0.0,
    )
    if r[19] is not None:
        reasons, waits, segments, queued_since = json.loads(r[19])
        f.reasons = reasons
        f.queue_waits = waits
        f.segments = [Segment(a, datetime.fromisoformat(b), _when(e)) for a, b, e in segments]
        f.queued_since = _when(queued_since)
    return f


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


async def _save(
    session: AsyncSession,
    workspace_id: str,
    facts: list[ConversationFacts],
    existing: set[str],
) -> None:
    """Write ``facts``: rows in ``existing`` are replaced, the others are new."""
    conn = await session.connection()
    t = conversation_facts
    for chunk in _chunks(sorted(existing)):
        await conn.execute(delete(t).where(t.c.conversation_id.in_(chunk)))
    if facts:
        await conn.execute(t.insert(), [_row(workspace_id, f) for f in facts])


# A report replays up to this much of the log past the watermark in memory instead of writing
# to the rollup itself (the server's background task moves the watermark).
TAIL_MAX_SEQS = 20_000


async def _current_mark(session: AsyncSession, workspace_id: str, meta: str) -> int | None:
    """The workspace's watermark, read without locking; None when missing or built with other
    meta intents."""
    conn = await session.connection()
    w = kpi_watermarks
    row = (
        await conn.execute(
            select(w.c.next_seq, w.c.meta_intents).where(w.c.workspace_id == workspace_id)
        )
    ).one_or_none()
    if row is None or row.meta_intents != meta:
        return None
    return int(row.next_seq)


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
    session: AsyncSession,
    workspace_id: str,
    *,
    meta_intents: Iterable[str],
    now: datetime,
    max_seqs: int | None = None,
) -> tuple[int, int]:
    """Replay the workspace's events past its watermark into its facts; commit.

    With ``max_seqs`` at most that much of the log is processed (a request's budget).
    Returns ``(watermark, stable)``: events from the watermark on are not in the facts yet, and
    the rollup is complete up to the clock slack when ``watermark >= stable``."""
    meta = json.dumps(sorted(meta_intents))
    stable = await seq_at(session, now - CLOCK_SLACK)
    mark = await _watermark(session, workspace_id, meta, now)
    limit = stable if max_seqs is None else min(stable, mark + max_seqs)
    while mark < limit:
        upto = min(limit, mark + BATCH_SEQ)
        events = await seq_range_events(session, workspace_id, first=mark, last=upto)
        if events:
            ids = sorted({e.conversation_id for e in events})
            # Conversations that start in this batch have no row yet: only the others load.
            born = {e.conversation_id for e in events if e.type == "conversation.created"}
            facts = await _load(session, workspace_id, [i for i in ids if i not in born])
            existing = set(facts)
            replay(events, meta_intents=meta_intents, facts=facts)
            await _save(session, workspace_id, [facts[i] for i in ids if i in facts], existing)
        mark = upto
    w = kpi_watermarks
    conn = await session.connection()
    await conn.execute(
        update(w)
        .where(w.c.workspace_id == workspace_id)
        .values(next_seq=max(mark, 0), meta_intents=meta, updated_at=now)
    )
    await session.commit()
    return mark, stable


async def window_facts(
    session: AsyncSession,
    workspace_id: str,
    *,
    start: datetime,
    end: datetime,
    meta_intents: Iterable[str],
    now: datetime,
    max_catch_up_seqs: int | None = None,
) -> list[ConversationFacts] | None:
    """Facts of the conversations started in [start, end), current to the end of the log.

    ``None`` when the rollup is further behind than ``max_catch_up_seqs`` (say, the first report
    after deploying on a long history, before ``hybridcx analytics rollup`` or the server's
    background catch-up has built it): the caller then replays the window's events instead."""
    meta = frozenset(meta_intents)
    mark = await _current_mark(session, workspace_id, json.dumps(sorted(meta)))
    stable = await seq_at(session, now - CLOCK_SLACK)
    if mark is None or stable - mark > TAIL_MAX_SEQS:
        # Too far behind to replay the rest in memory (or never built, or built with other
        # meta intents): catch up now, within the request's budget.
        mark, stable = await catch_up(
            session, workspace_id, meta_intents=meta, now=now, max_seqs=max_catch_up_seqs
        )
        if mark < stable:
            return None
    # Otherwise the background task keeps the rollup current: no write in the request; the
    # events past the watermark are replayed in memory below.
    bind = session.bind
    url = str(bind.engine.url if isinstance(bind, AsyncConnection) else bind.url) if bind else ""
    key = (url, workspace_id, json.dumps(sorted(meta)))
    entry = _CACHE.get(key)
    if (
        entry is None
        or entry.start > start
        or mark < entry.mark  # the rollup was rebuilt or the database reset
        or time.monotonic() - entry.loaded > CACHE_MAX_AGE_SECONDS
    ):
        entry = await _load_window(session, workspace_id, start=start, mark=mark)
        _remember(key, entry)
    e_created = ConversationEvent.created_at
    if stable > entry.stable:
        # Events old enough never to be joined by an earlier-numbered one: into the cache.
        settled = await seq_range_events(
            session,
            workspace_id,
            first=entry.stable,
            last=stable,
            where=(e_created >= entry.start,),
        )
        replay(settled, meta_intents=meta, facts=entry.facts)
        entry.stable = stable
    # The newest events (the last minutes) are replayed on copies, every report.
    recent = await seq_range_events(
        session, workspace_id, first=entry.stable, where=(e_created >= start, e_created < end)
    )
    view = entry.facts
    if recent:
        touched = {e.conversation_id for e in recent}
        view = dict(entry.facts)
        for cid in touched & view.keys():
            view[cid] = copy.deepcopy(view[cid])
        replay(recent, meta_intents=meta, facts=view)
    return [f for f in view.values() if start <= f.created_at < end]


# ---- the window cache ------------------------------------------------------------------------
# Reports poll (the supervisor console every 30 s), and turning 74,000 facts rows into objects
# is most of a 30-day report at a million conversations. Each process keeps the facts of the
# conversations started since a report's ``start`` and moves them forward with the events
# written since (the same replay as the rollup), so a repeated report reads only what is new.
# An entry is reloaded from the rollup when a report reaches further back, when the rollup is
# rebuilt, and at least every CACHE_MAX_AGE_SECONDS.

CACHE_MAX_AGE_SECONDS = 300.0
CACHE_ENTRIES = 8


@dataclass
class _Window:
    start: datetime  # holds every conversation started from here on
    mark: int  # the rollup watermark its rows were read at
    stable: int  # every event below this seq is replayed into ``facts``
    facts: dict[str, ConversationFacts]
    loaded: float = field(default_factory=time.monotonic)


_CACHE: dict[tuple[str, str, str], _Window] = {}


def _remember(key: tuple[str, str, str], entry: _Window) -> None:
    _CACHE.pop(key, None)
    _CACHE[key] = entry
    while len(_CACHE) > CACHE_ENTRIES:
        _CACHE.pop(next(iter(_CACHE)))


def clear_cache() -> None:
    _CACHE.clear()


async def _load_window(
    session: AsyncSession, workspace_id: str, *, start: datetime, mark: int
) -> _Window:
    t = conversation_facts
    stmt = select(*_REPORT_COLUMNS).where(t.c.workspace_id == workspace_id, t.c.created_at >= start)
    conn = await session.connection()
    facts = {f.id: f for f in map(_from_columns, await conn.execute(stmt))}
    return _Window(start=start, mark=mark, stable=mark, facts=facts)


async def catch_up_all(sessions: Any, *, meta_intents_for: Any, now: datetime) -> dict[str, int]:
    """Catch every workspace's rollup up (the CLI and the server's background task).

    ``meta_intents_for(session, workspace)`` gives a workspace's configured meta intents."""
    from hybridcx.models import Workspace

    async with sessions() as session:
        workspaces = (await session.execute(select(Workspace))).scalars().all()
    done: dict[str, int] = {}
    for ws in workspaces:
        async with sessions() as session:
            meta = await meta_intents_for(session, ws)
            mark, _ = await catch_up(session, ws.id, meta_intents=meta, now=now)
            done[ws.slug] = mark
    return done
