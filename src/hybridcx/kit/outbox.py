"""Live events collected during a transaction and published only after it commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import structlog

from hybridcx.kit.bus import EventBus, customer_channel, staff_channel

log = structlog.get_logger(__name__)


@dataclass
class Outbox:
    items: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def to_customer(self, conversation_id: str, payload: dict[str, Any]) -> None:
        self.items.append((customer_channel(conversation_id), payload))

    def to_staff(self, workspace_id: str, payload: dict[str, Any]) -> None:
        self.items.append((staff_channel(workspace_id), payload))

    async def flush(self, bus: EventBus) -> None:
        """Publish after commit. Live events are best effort: the data is already stored and
        clients catch up from the API, so a bus outage must not fail the request."""
        items, self.items = self.items, []
        for channel, payload in items:
            try:
                await bus.publish(channel, payload)
            except Exception as exc:
                log.error("realtime.publish_failed", channel=channel, error=str(exc))
