"""SQL for analytics: the window's events, read by primary-key range, never the whole history.

``conversation_events.seq`` grows with ``created_at`` (the log is append-only), so a time window
maps to a seq range found by binary search on the primary key. The event query then reads that
range only, narrowed by workspace and type (the (workspace_id, type) index): its cost follows the
window, not the history. No migration is needed for this.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.analytics.facts import KPI_EVENT_TYPES, ORDER, EventRow
from hybridcx.models import ConversationEvent, Workspace

# Rows are written in commit order, so created_at may trail seq by a transaction's length;
# the seq range is widened by this much and then the times are checked exactly.
CLOCK_SLACK = timedelta(minutes=10)


async def _created_at_of_first_from(session: AsyncSession, seq: int) -> datetime | None:
    stmt = (
        select(ConversationEvent.created_at)
        .where(ConversationEvent.seq >= seq)
        .order_by(ConversationEvent.seq)
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def seq_at(session: AsyncSession, at: datetime) -> int:
    """The first seq whose event is at or after ``at`` (one past the end if none is)."""
    bounds = select(func.min(ConversationEvent.seq), func.max(ConversationEvent.seq))
    low, high = (await session.execute(bounds)).one()
    if low is None:
        return 0
    high += 1
    while low < high:  # about log2(rows) primary-key lookups
        mid = (low + high) // 2
        created = await _created_at_of_first_from(session, mid)
        if created is not None and created < at:
            low = mid + 1
        else:
            high = mid
    return int(low)


async def window_events(
    session: AsyncSession,
    workspace_id: str,
    *,
    start: datetime,
    end: datetime,
    types: Sequence[str] = KPI_EVENT_TYPES,
) -> list[EventRow]:
    """The workspace's events of ``types`` written in [start, end), in log order."""
    first = await seq_at(session, start - CLOCK_SLACK)
    last = await seq_at(session, end + CLOCK_SLACK)
    e = ConversationEvent
    return await seq_range_events(
        session,
        workspace_id,
        first=first,
        last=last,
        types=types,
        where=(e.created_at >= start, e.created_at < end),
    )


async def seq_range_events(
    session: AsyncSession,
    workspace_id: str,
    *,
    first: int,
    last: int | None = None,
    types: Sequence[str] = KPI_EVENT_TYPES,
    where: Sequence[Any] = (),
) -> list[EventRow]:
    """The workspace's events of ``types`` with ``first <= seq < last``, in log order."""
    e = ConversationEvent
    stmt = (
        select(
            e.conversation_id,
            e.type,
            type_coerce(e.created_at, String),  # parsed below: much cheaper than per-row types
            e.actor,
            e.actor_id,
            *(_json_field(name, kind) for name, kind in DATA_FIELDS),
        )
        .where(
            e.workspace_id == workspace_id,
            e.type.in_(list(types)),
            e.seq >= first,
            *(() if last is None else (e.seq < last,)),
            *where,
        )
        .order_by(e.seq)
    )
    # Core execution: the ORM's row loading costs more than the query on a large window.
    conn = await session.connection()
    rows = (await conn.execute(stmt)).all()
    names = [name for name, _ in DATA_FIELDS]
    return [EventRow(r[0], r[1], _datetime(r[2]), r[3], r[4], _data(names, r[5:])) for r in rows]


def _data(names: list[str], values: Any) -> dict[str, Any]:
    data = {k: v for k, v in zip(names, values, strict=True) if v is not None}
    if "reasons" in data:
        data["reasons"] = json.loads(data["reasons"])
    return data


# Only the fields the KPIs read are pulled out of the JSON, by the database: decoding whole
# routing decisions (scores, thresholds) in Python was most of the report's time.
DATA_FIELDS: tuple[tuple[str, str], ...] = (
    ("channel", "str"),
    ("tier", "int"),
    ("intent", "str"),
    ("sentiment", "float"),
    ("turn_id", "str"),
    ("reasons", "str"),  # a JSON array as text, decoded only where present
    ("agent_id", "str"),
    ("rating", "int"),
    ("from_status", "str"),
    ("category", "str"),
    ("nps", "int"),
    ("segment", "str"),
    ("customer_value", "float"),
    ("amount", "float"),
)


def _json_field(name: str, kind: str) -> Any:
    field = ConversationEvent.data[name]
    if kind == "str":
        return field.as_string()
    if kind == "int":
        return field.as_integer()
    return field.as_float()


def _datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value
    return datetime.fromisoformat(str(value))


async def workspace_by_slug(session: AsyncSession, slug: str | None) -> Workspace | None:
    stmt = select(Workspace)
    stmt = (
        stmt.where(Workspace.slug == slug) if slug else stmt.where(Workspace.is_default.is_(True))
    )
    return (await session.execute(stmt.limit(1))).scalar_one_or_none()


async def order_attributions(session: AsyncSession, conversation_id: str) -> list[dict[str, Any]]:
    """The data of the orders attributed to a conversation (its ``ORDER`` events)."""
    stmt = select(ConversationEvent.data).where(
        ConversationEvent.conversation_id == conversation_id, ConversationEvent.type == ORDER
    )
    return [data or {} for (data,) in await session.execute(stmt)]
