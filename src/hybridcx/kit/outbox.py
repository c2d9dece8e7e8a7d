"""Events collected during a transaction and dispatched to their listeners only after it
commits (hybridcx.kit.events)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from hybridcx.kit.events import Event, Listeners


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
        for event in items:
            await rt.events.dispatch(rt, event)
