"""A tiny builder for hand-written event logs with known answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hybridcx.analytics.facts import EventRow

T0 = datetime(2026, 3, 2, 9, 0, 0)


@dataclass
class Log:
    events: list[EventRow] = field(default_factory=list)

    def add(self, conv: str, kind: str, at: float, actor_id: str | None = None, **data: Any) -> Log:
        """``at`` is seconds after T0."""
        self.events.append(
            EventRow(conv, kind, T0 + timedelta(seconds=at), actor_id=actor_id, data=data)
        )
        return self

    def created(
        self, conv: str, at: float, customer: str, channel: str = "webchat", **data: Any
    ) -> Log:
        return self.add(
            conv, "conversation.created", at, actor_id=customer, channel=channel, **data
        )

    def turn(
        self, conv: str, at: float, *, intent: str | None = None, tier: int = 1, **data: Any
    ) -> Log:
        return self.add(conv, "routing.decided", at, intent=intent, tier=tier, turn_id="t", **data)

    def queued(self, conv: str, at: float, *, tier: int = 2, reasons: list[str]) -> Log:
        return self.add(conv, "conversation.queued", at, tier=tier, reasons=reasons)

    def assigned(self, conv: str, at: float, agent: str, via: str = "accept") -> Log:
        return self.add(conv, "conversation.assigned", at, agent_id=agent, via=via)

    def resolved(self, conv: str, at: float, agent: str | None) -> Log:
        return self.add(conv, "conversation.resolved", at, agent_id=agent, category="x")

    def survey(self, conv: str, at: float, rating: int, nps: int | None = None) -> Log:
        return self.add(conv, "survey.submitted", at, rating=rating, nps=nps, comment="")

    def order(self, conv: str, at: float, order_id: str, amount: float) -> Log:
        return self.add(conv, "order.attributed", at, order_id=order_id, amount=amount)

    def sorted(self) -> list[EventRow]:
        return sorted(self.events, key=lambda e: e.created_at)
