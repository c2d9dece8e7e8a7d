"""The transactional outbox of live events (``event_outbox``), its relay and its replay.

Each transaction that emits live events writes them as ONE row (kit.outbox, called by
``transaction()`` right before the commit), naming the process that wrote it. After the commit
that process publishes them at once (``Outbox.flush``) and remembers the row as delivered; its
heartbeat marks the delivered rows in one statement per beat (never a write per event). A
process that dies between its commit and its publication leaves rows undelivered: the relay of
every other process publishes them once the dead process's heartbeat has expired, in row order
(so in order per conversation), then marks them. Delivery is at least once: a row published
just before the death is published again, and consumers deduplicate by event id.

Rows are kept ``retention_seconds`` for the WebSockets' replay (``replay``: what a client
missed since the last event id it saw), then deleted in batches (one statement per sweep).

An event id is ``<row id>-<index in the row>``. Row ids increase, but on PostgreSQL a
transaction that took a smaller id may commit after one that took a larger id; replay there
also sends the events of the ``REPLAY_GRACE`` before the last seen one (clients drop the ids
they already have). On SQLite ids follow the commit order and replay sends exactly what comes
after the last seen event.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hybridcx.kit.db import transaction
from hybridcx.kit.events import LiveEvent
from hybridcx.kit.ids import utcnow
from hybridcx.kit.tasks import reraise_if_cancelled
from hybridcx.models import EventOutboxRow, ServerProcess
from hybridcx.ops.heartbeat import dead_before, mark_delivered

log = structlog.get_logger(__name__)

Payload = dict[str, Any]
Publish = Callable[[str, Payload], Awaitable[None]]

#: Events of rows committed up to this long before the last seen one are replayed too.
REPLAY_GRACE = timedelta(seconds=5)
#: At most this many rows per relay round and per page of a replay.
BATCH = 500
#: A socket replays at most this many pages; past them it is told to reload (not complete).
MAX_REPLAY_PAGES = 20
_EVENT_ID = re.compile(r"^(\d{1,18})-(\d{1,6})$")


def parse_event_id(value: str) -> tuple[int, int] | None:
    """``(row id, index)`` of an event id, None when it is not one."""
    match = _EVENT_ID.match(value)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _event_id(row_id: int, index: int) -> str:
    return f"{row_id}-{index}"


@dataclass
class Replay:
    """What a socket missed: ``events`` as ``(channels, payload with event_id)``, in order;
    ``complete`` is False when the last seen event is no longer kept (older than the retention
    window, or unknown): the client reloads its state instead of trusting the replay alone."""

    events: list[tuple[list[str], Payload]]
    complete: bool
    last_row: int | None = None  # the last row read: the next page starts after it
    more: bool = False  # a full page: there may be more rows


@dataclass
class EventOutbox:
    """This process's writer of outbox rows (installed per engine by the runtime)."""

    # This process's server_processes id once its heartbeat runs; None: rows are written as
    # delivered (no heartbeat, so no one could tell if this process died).
    process_id: str | None = None
    retention_seconds: float = 900.0
    _delivered: list[int] = field(default_factory=list)

    async def write(self, session: AsyncSession, events: list[LiveEvent]) -> list[str]:
        workspaces = {getattr(e, "workspace_id", None) for e in events}
        # The row's conversation: the one its events are about (a queue.updated is about none).
        conversations = {c for e in events if (c := getattr(e, "conversation_id", None))}
        if len(workspaces) > 1:  # one row per workspace (a sweep across workspaces)
            ids: dict[int, str] = {}
            for workspace in workspaces:
                part = [
                    i for i, e in enumerate(events) if getattr(e, "workspace_id", None) == workspace
                ]
                written = await self.write(session, [events[i] for i in part])
                ids.update(zip(part, written, strict=True))
            return [ids[i] for i in range(len(events))]
        row_id = (
            await session.execute(
                insert(EventOutboxRow)
                .values(
                    workspace_id=next(iter(workspaces)),
                    conversation_id=next(iter(conversations)) if len(conversations) == 1 else None,
                    process_id=self.process_id,
                    delivered=self.process_id is None,
                    created_at=utcnow(),
                    events=[
                        {"channels": list(e.channels()), "payload": e.payload()} for e in events
                    ],
                )
                .returning(EventOutboxRow.id)
            )
        ).scalar_one()
        return [_event_id(row_id, i) for i in range(len(events))]

    def delivered(self, event_ids: list[str]) -> None:
        rows = {parsed[0] for eid in event_ids if (parsed := parse_event_id(eid))}
        self._delivered.extend(sorted(rows))

    def take_delivered(self) -> list[int]:
        """The rows published since the last call (marked by the heartbeat, in one statement)."""
        taken, self._delivered = self._delivered, []
        return taken


def _payloads(row: EventOutboxRow) -> list[tuple[list[str], Payload]]:
    return [
        (list(item["channels"]), {**item["payload"], "event_id": _event_id(row.id, index)})
        for index, item in enumerate(row.events or [])
    ]


async def relay_once(
    sessions: async_sessionmaker[AsyncSession], publish: Publish, *, now: datetime | None = None
) -> int:
    """Publish the undelivered rows of dead processes (heartbeat expired, or gone), in order,
    then mark them delivered; how many rows. A relay that dies in between leaves them for the
    next one (at least once)."""
    now = now or utcnow()
    alive = select(ServerProcess.id).where(ServerProcess.beat_at >= dead_before(now))
    async with sessions() as session:
        rows = list(
            (
                await session.execute(
                    select(EventOutboxRow)
                    .where(
                        EventOutboxRow.delivered.is_(False),
                        or_(
                            EventOutboxRow.process_id.is_(None),
                            EventOutboxRow.process_id.not_in(alive),
                        ),
                    )
                    .order_by(EventOutboxRow.id)
                    .limit(BATCH)
                )
            ).scalars()
        )
    if not rows:
        return 0
    for row in rows:
        for channels, payload in _payloads(row):
            for channel in channels:
                await publish(channel, payload)
    async with transaction(sessions) as session:
        await mark_delivered(session, [row.id for row in rows])
    log.warning(
        "outbox.relayed", rows=len(rows), processes=sorted({r.process_id or "" for r in rows})
    )
    return len(rows)


async def cleanup(
    sessions: async_sessionmaker[AsyncSession],
    retention_seconds: float,
    *,
    now: datetime | None = None,
) -> int:
    """Delete the rows older than the retention window, in one statement; how many."""
    cutoff = (now or utcnow()) - timedelta(seconds=retention_seconds)
    async with transaction(sessions) as session:
        result = await session.execute(
            delete(EventOutboxRow).where(EventOutboxRow.created_at < cutoff)
        )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def replay(
    session: AsyncSession,
    workspace_id: str,
    since: str,
    *,
    conversation_id: str | None = None,
    after_row: int | None = None,
) -> Replay:
    """The events of ``workspace_id`` (of ``conversation_id`` only, when given) after the event
    ``since``, with their channels, at most ``BATCH`` rows; the caller keeps those of the
    channels it may hear. ``more``: call again with ``after_row=replay.last_row`` for the next
    rows (``complete`` is said by the first call)."""
    parsed = parse_event_id(since)
    if parsed is None:
        raise ValueError("since must be an event id (<row>-<index>)")
    row_id, index = parsed
    scope = [EventOutboxRow.workspace_id == workspace_id]
    if conversation_id is not None:
        scope.append(
            or_(
                EventOutboxRow.conversation_id == conversation_id,
                EventOutboxRow.conversation_id.is_(None),
            )
        )
    seen: datetime | None = None
    if after_row is not None:  # the next page
        after = EventOutboxRow.id > after_row
    else:
        seen = (
            await session.execute(
                select(EventOutboxRow.created_at).where(EventOutboxRow.id == row_id)
            )
        ).scalar_one_or_none()
        after = EventOutboxRow.id >= row_id  # the rest of its own row too
        # PostgreSQL: rows with a smaller id may have committed after the last seen one.
        # SQLite commits one writer at a time and the row is the transaction's last
        # statement, so its ids follow the commit order.
        if seen is not None and session.get_bind().dialect.name != "sqlite":
            after = or_(after, EventOutboxRow.created_at >= seen - REPLAY_GRACE)
    rows = list(
        (
            await session.execute(
                select(EventOutboxRow).where(*scope, after).order_by(EventOutboxRow.id).limit(BATCH)
            )
        ).scalars()
    )
    events = [
        (channels, payload)
        for row in rows
        for i, (channels, payload) in enumerate(_payloads(row))
        if not (row.id == row_id and i <= index)
    ]
    return Replay(
        events=events,
        complete=after_row is not None or seen is not None,
        last_row=rows[-1].id if rows else after_row,
        more=len(rows) == BATCH,
    )


async def relay_loop(
    sessions: async_sessionmaker[AsyncSession],
    publish: Publish,
    *,
    interval: float,
    retention_seconds: float,
    cleanup_every: float = 60.0,
) -> None:
    """Every ``interval`` seconds: publish what dead processes left undelivered; every
    ``cleanup_every`` seconds: delete the rows past the retention window."""
    last_cleanup = 0.0
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(interval)
        try:
            await relay_once(sessions, publish)
            if loop.time() - last_cleanup >= cleanup_every:
                last_cleanup = loop.time()
                await cleanup(sessions, retention_seconds)
        except Exception as exc:  # the database away: try again next round
            reraise_if_cancelled(exc)
            log.warning("outbox.relay_failed", error=str(exc))
