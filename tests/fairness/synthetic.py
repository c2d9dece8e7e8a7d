"""Synthetic event logs with a known (planted) disparity, for the fairness audit tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.analytics.eventlog import Log


@dataclass
class Population:
    """Conversations of customers in segments; ``escalated[segment]`` of every 10 escalate."""

    per_segment: dict[str, int]
    escalated_per_10: dict[str, int]
    wait_seconds: dict[str, float] = field(default_factory=dict)
    csat: dict[str, int] = field(default_factory=dict)

    def build(self) -> tuple[Log, dict[str, str]]:
        log, segment_of_customer = Log(), {}
        at = 0.0
        for segment, count in self.per_segment.items():
            for i in range(count):
                conv, customer = f"{segment}-{i}", f"cust-{segment}-{i}"
                segment_of_customer[customer] = segment
                at += 60
                log.created(conv, at, customer)
                log.turn(conv, at + 1, intent="order_status")
                if i % 10 < self.escalated_per_10[segment]:
                    log.queued(conv, at + 2, reasons=["low_confidence"])
                    wait = self.wait_seconds.get(segment, 60.0) + (i % 7) * 5
                    log.assigned(conv, at + 2 + wait, "agent-1")
                    log.resolved(conv, at + 600, "agent-1")
                if segment in self.csat:
                    log.survey(conv, at + 700, self.csat[segment] if i % 3 else 5)
        return log, segment_of_customer
