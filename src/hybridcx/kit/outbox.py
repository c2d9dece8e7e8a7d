"""Live events collected during a transaction and published only after it commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hybridcx.realtime.bus import EventBus, customer_channel, staff_channel


@dataclass
class Outbox:
    items: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def to_customer(self, conversation_id: str, payload: dict[str, Any]) -> None:
        self.items.append((customer_channel(conversation_id), payload))

    def to_staff(self, workspace_id: str, payload: dict[str, Any]) -> None:
        self.items.append((staff_channel(workspace_id), payload))

    async def flush(self, bus: EventBus) -> None:
        items, self.items = self.items, []
        for channel, payload in items:
            await bus.publish(channel, payload)
