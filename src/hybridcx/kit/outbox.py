"""Events collected during a transaction and dispatched to their listeners only after it
commits (hybridcx.kit.events)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from hybridcx.kit.bus import batched
from hybridcx.kit.events import Event, Listeners, LiveEvent


class HasListeners(Protocol):
    """The runtime, as far as the outbox needs it."""

    @property
    def events(self) -> Listeners: ...


@dataclass
class Outbox:
    items: list[Event] = field(default_factory=list)

    def emit(self, event: Event) -> None:
        self.items.append(event)

    async def flush(self, rt: HasListeners) -> None:
        """Dispatch after commit, in the order emitted. Side effects are best effort: the data
        is already stored, so a failing listener (a bus outage) is logged and never fails the
        request (Listeners.dispatch)."""
        items, self.items = self.items, []
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
