"""What /metrics serves: the process's counters, plus gauges computed at scrape time.

Messages, assignments and escalations are counted from what the ORM writes (messages and
conversation events), once the transaction commits: one place for every code path (web chat,
SMS, email, staff replies, auto-dispatch), and nothing counted for a rolled-back request.
"""

from __future__ import annotations

import os
from collections import Counter as Tally
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import REGISTRY
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from hybridcx.kit.ids import utcnow
from hybridcx.kit.metrics import ASSIGNMENTS, ESCALATIONS, MESSAGES
from hybridcx.models import Conversation, ConversationEvent, Message

_PENDING = "hybridcx_metrics_pending"
_installed = False


def install_write_counters() -> None:
    """Count committed messages, assignments and escalations (idempotent; once per process)."""
    global _installed
    if _installed:
        return
    event.listen(Session, "after_flush", _collect)
    event.listen(Session, "after_commit", _publish)
    event.listen(Session, "after_rollback", _discard)
    _installed = True


def _collect(session: Session, _context: Any) -> None:
    pending: Tally[tuple[str, ...]] = session.info.setdefault(_PENDING, Tally())
    for obj in session.new:
        if isinstance(obj, Message):
            pending[("message", _channel_of(session, obj.conversation_id), obj.author)] += 1
        elif isinstance(obj, ConversationEvent):
            if obj.type == "conversation.assigned":
                pending[("assignment", str((obj.data or {}).get("via", "unknown")))] += 1
            elif obj.type == "conversation.queued":
                for reason in (obj.data or {}).get("reasons") or ["unknown"]:
                    pending[("escalation", str(reason))] += 1


def _channel_of(session: Session, conversation_id: str) -> str:
    for obj in session.identity_map.values():
        if isinstance(obj, Conversation) and obj.id == conversation_id:
            return obj.channel
    return "unknown"


def _publish(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    for key, n in pending.items():
        kind, *labels = key
        if kind == "message":
            MESSAGES.labels(*labels).inc(n)
        elif kind == "assignment":
            ASSIGNMENTS.labels(*labels).inc(n)
        else:
            ESCALATIONS.labels(*labels).inc(n)


def _discard(session: Session) -> None:
    session.info.pop(_PENDING, None)


async def queue_by_tier(session: AsyncSession) -> list[tuple[int, int, datetime | None]]:
    """(tier, queued conversations, oldest queued_at): one grouped query on the queue index."""
    rows = await session.execute(
        select(Conversation.tier, func.count(), func.min(Conversation.queued_at))
        .where(Conversation.status == "queued")
        .group_by(Conversation.tier)
    )
    return [(int(tier), int(n), oldest) for tier, n, oldest in rows.all()]


class ScrapeTimeGauges:
    """Gauges read from the database and the runtime when Prometheus scrapes."""

    def __init__(
        self,
        queue: list[tuple[int, int, datetime | None]],
        *,
        model_version: str | None,
        now: datetime | None = None,
    ) -> None:
        self.queue = queue
        self.model_version = model_version
        self.now = now or utcnow()

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "hybridcx_queue_depth", "Conversations waiting in the queue, by tier.", labels=["tier"]
        )
        oldest = GaugeMetricFamily(
            "hybridcx_queue_oldest_wait_seconds",
            "How long the longest-waiting queued conversation has waited, by tier.",
            labels=["tier"],
        )
        # Tiers 1-3 always appear (0 when empty), so dashboards and alerts never see a gap.
        by_tier: dict[int, tuple[int, datetime | None]] = {t: (0, None) for t in (1, 2, 3)}
        by_tier.update({tier: (n, queued_at) for tier, n, queued_at in self.queue})
        for tier, (n, queued_at) in sorted(by_tier.items()):
            depth.add_metric([str(tier)], n)
            wait = (self.now - queued_at).total_seconds() if queued_at is not None else 0.0
            oldest.add_metric([str(tier)], max(0.0, wait))
        model = GaugeMetricFamily(
            "hybridcx_model_info",
            "The intent model version this process answers with.",
            labels=["version"],
        )
        model.add_metric([self.model_version or "none"], 1)
        yield depth
        yield oldest
        yield model


def render(gauges: ScrapeTimeGauges) -> bytes:
    """The exposition text: every worker's metrics (multiprocess mode) or this process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    scrape = CollectorRegistry(auto_describe=False)
    scrape.register(gauges)
    return generate_latest(registry) + generate_latest(scrape)
