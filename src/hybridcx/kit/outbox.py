"""Events collected during a transaction and dispatched to their listeners only after it
commits (hybridcx.kit.events).

The live events an outbox collects inside ``transaction()`` (kit.db) are also written to the
database by that transaction, as one row, right before its commit (``write_pending``): a
rollback writes none, a commit writes them all. The row's writer (``OutboxWriter``, installed
per engine by the composition root; ``hybridcx.ops.outbox``) gives each event its id
(``<row id>-<index>``), which ``flush`` puts on the events it dispatches: the WebSockets send it,
clients resume from it after a reconnect, and a relay delivers the rows of a process that died
before its ``flush``. Without a writer (or outside ``transaction()``) events are dispatched
only, as before.
"""

from __future__ import annotations

import dataclasses
import weakref
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.kit.bus import batched
from hybridcx.kit.events import Event, Listeners, LiveEvent


class HasListeners(Protocol):
    """The runtime, as far as the outbox needs it."""

    @property
    def events(self) -> Listeners: ...


class OutboxWriter(Protocol):
    """Writes a transaction's live events (one row) and learns which rows were delivered."""

    async def write(self, session: AsyncSession, events: list[LiveEvent]) -> list[str]:
        """Store ``events`` in ``session``'s transaction; their ids, in order."""
        ...

    def delivered(self, event_ids: list[str]) -> None:
        """These events (all those of their rows) were dispatched by this process."""
        ...


#: The session of the innermost ``transaction()`` of this task (set by kit.db).
current_session: ContextVar[AsyncSession | None] = ContextVar(
    "hybridcx_transaction_session", default=None
)
_writers: weakref.WeakKeyDictionary[Any, OutboxWriter] = weakref.WeakKeyDictionary()
_PENDING = "hybridcx_outboxes"


def install_writer(engine: Any, writer: OutboxWriter) -> None:
    """Transactions on ``engine`` write their outboxes' live events with ``writer``."""
    _writers[getattr(engine, "sync_engine", engine)] = writer


def _writer_for(session: AsyncSession) -> OutboxWriter | None:
    bind = session.bind
    return _writers.get(getattr(bind, "sync_engine", bind)) if bind is not None else None


async def write_pending(session: AsyncSession) -> None:
    """Called by ``transaction()`` right before it commits: the live events emitted inside it
    that are not dispatched yet, written as one row."""
    outboxes: list[Outbox] = session.info.pop(_PENDING, None) or []
    if not outboxes:
        return
    writer = _writer_for(session)
    if writer is None:
        return
    slots: list[tuple[Outbox, int]] = []
    for outbox in outboxes:
        for index in range(outbox.written, len(outbox.items)):
            if isinstance(outbox.items[index], LiveEvent):
                slots.append((outbox, index))
        outbox.written = len(outbox.items)
    if not slots:
        return
    ids = await writer.write(session, [box.items[i] for box, i in slots])  # type: ignore[misc]
    for (box, index), event_id in zip(slots, ids, strict=True):
        box.ids[index] = event_id
        box.writer = writer


@dataclass
class Outbox:
    items: list[Event] = field(default_factory=list)
    # Index of an item -> its event id, once its transaction has written it.
    ids: dict[int, str] = field(default_factory=dict)
    written: int = 0  # items before this index were seen by a transaction's write
    writer: OutboxWriter | None = None

    def emit(self, event: Event) -> None:
        self.items.append(event)
        session = current_session.get()
        if session is not None:  # written with the transaction, right before its commit
            pending = session.info.setdefault(_PENDING, [])
            if not any(box is self for box in pending):
                pending.append(self)

    async def flush(self, rt: HasListeners) -> None:
        """Dispatch after commit, in the order emitted. Side effects are best effort: the data
        is already stored, so a failing listener (a bus outage) is logged and never fails the
        request (Listeners.dispatch)."""
        items, ids, writer = self.items, self.ids, self.writer
        self.items, self.ids, self.written, self.writer = [], {}, 0, None
        for index, event_id in ids.items():  # the id the outbox row gave it
            items[index] = dataclasses.replace(items[index], event_id=event_id)  # type: ignore[call-arg]
        i = 0
        while i < len(items):
            if not isinstance(items[i], LiveEvent):  # a channel delivery, say: on its own
                await rt.events.dispatch(rt, items[i])
                i += 1
                continue
            async with batched():  # a run of live events reaches Redis in one round trip
                while i < len(items) and isinstance(items[i], LiveEvent):
                    await rt.events.dispatch(rt, items[i])
                    i += 1
        if writer is not None and ids:
            writer.delivered(list(ids.values()))
