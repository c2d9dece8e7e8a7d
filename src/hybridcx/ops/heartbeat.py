"""The process heartbeat: each server process keeps a row in ``server_processes`` fresh.

Answer leases name the process holding them (``messages.answering_by``). A process that stops
beating (killed, frozen, cut off from the database) is presumed dead once
``DEAD_AFTER_SECONDS`` have passed, and the next request or retry takes its leases over at once
instead of waiting out the fixed lease timeout. Each beat also hands back the leases this
process holds but no longer works on (a turn that failed while the database was away could not
release its own). A clean exit deletes the row, so its leases are free at once.

Each beat also marks the outbox rows this process published since the last beat (ops.outbox):
the relay of other processes publishes only the rows of dead processes that are not marked.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Callable, Collection
from datetime import datetime, timedelta

import structlog
from sqlalchemy import ColumnElement, delete, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hybridcx.conversations import repository as conversations
from hybridcx.kit.db import transaction
from hybridcx.kit.ids import new_id, utcnow
from hybridcx.kit.tasks import reraise_if_cancelled
from hybridcx.models import EventOutboxRow, ServerProcess

log = structlog.get_logger(__name__)

BEAT_SECONDS = 2.0
#: Three missed beats: a process silent this long is presumed dead and its leases are free.
DEAD_AFTER_SECONDS = 6.0


def dead_before(now: datetime) -> datetime:
    """A process whose last beat is older than this is presumed dead."""
    return now - timedelta(seconds=DEAD_AFTER_SECONDS)


class Heartbeat:
    """Registers this process, beats every ``interval`` seconds, and unregisters on ``stop``."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        answering: Callable[[], Collection[str]] = frozenset,
        delivered: Callable[[], list[int]] = list,
        interval: float = BEAT_SECONDS,
    ) -> None:
        self.sessions = sessions
        self.answering = answering
        # The outbox rows this process published since the last beat (ops.outbox), marked
        # delivered by the beat in one statement so the relay leaves them alone.
        self.delivered = delivered
        self.interval = interval
        self.id = new_id()
        self.host = socket.gethostname()[:255]
        self.pid = os.getpid()
        self.started_at = utcnow()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> str:
        """Register and start beating; this process's id. When the database refuses the first
        beat the process serves anyway and registers at the next beat that lands (until then
        its leases look free to others, which is safe: whoever takes one over first checks for
        a stored answer under the conversation's row lock, and never runs a turn twice)."""
        try:
            await self.beat()
        except Exception as exc:
            log.warning("heartbeat.register_failed", process_id=self.id, error=str(exc))
        self._task = asyncio.create_task(self._loop(), name="hybridcx-heartbeat")
        log.info("heartbeat.started", process_id=self.id, host=self.host, pid=self.pid)
        return self.id

    async def beat(self) -> None:
        """Refresh this process's row (made again if it went: a test emptied the table), then
        hand back the leases it holds but does not work on."""
        now = utcnow()
        keep = list(self.answering())
        published = self.delivered()
        async with transaction(self.sessions) as session:
            await mark_delivered(session, published, self.id)
            result = await session.execute(
                update(ServerProcess).where(ServerProcess.id == self.id).values(beat_at=now)
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                session.add(
                    ServerProcess(
                        id=self.id,
                        host=self.host,
                        pid=self.pid,
                        started_at=self.started_at,
                        beat_at=now,
                    )
                )
            # A lease younger than one beat may belong to a turn about to mark itself.
            released = await conversations.release_orphaned_leases(
                session, self.id, keep=keep, taken_before=now - timedelta(seconds=self.interval)
            )
        if released:
            log.info("heartbeat.leases_released", process_id=self.id, count=released)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.beat()
            except Exception as exc:  # the database away: beat again when it is back
                reraise_if_cancelled(exc)
                log.warning("heartbeat.failed", process_id=self.id, error=str(exc))

    async def stop(self, *, wait_seconds: float = 5.0) -> None:
        """Stop beating and delete the row (best effort): leases this process still names are
        free at once."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        try:
            async with asyncio.timeout(wait_seconds), transaction(self.sessions) as session:
                await mark_delivered(session, self.delivered(), self.id)
                await session.execute(delete(ServerProcess).where(ServerProcess.id == self.id))
        except Exception as exc:  # presumed dead DEAD_AFTER_SECONDS after its last beat anyway
            log.warning("heartbeat.unregister_failed", process_id=self.id, error=str(exc))


async def mark_delivered(
    session: AsyncSession, row_ids: list[int], process_id: str | None = None
) -> None:
    """One statement for all of them (``process_id``: only rows that process wrote)."""
    if row_ids:
        where: list[ColumnElement[bool]] = [
            EventOutboxRow.id.in_(row_ids),
            EventOutboxRow.delivered.is_(False),
        ]
        if process_id is not None:
            where.append(EventOutboxRow.process_id == process_id)
        await session.execute(update(EventOutboxRow).where(*where).values(delivered=True))
