"""Signals: rules over the company backend and the conversation log that say a customer should
hear from us before they have to ask.

- ``late_shipment``: an order not delivered yet whose promised date has passed (the backend's
  ``late_orders``);
- ``appointment_tomorrow``: a booked appointment starting on the next UTC day;
- ``repeat_contact``: a customer who started two or more conversations about the same issue
  (the AI's topic) in the last 7 days;
- ``churn_risk``: a simple score over the last 30 days of contacts (see :func:`churn_score`);
- ``failed_payment``: an order whose payment failed (the backend's ``failed_payments``: in the
  demo company, orders with status ``payment_failed``); a backend without it finds nobody.

Each signal yields :class:`Hit` rows: the customer, a key naming the occurrence (so a campaign
notifies once per late order, not once per run) and the context the notice and the reply use.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.customers.repository import find_customer_by_email
from hybridcx.demo.backend import DemoBackend
from hybridcx.flows.backend import Order, Slot
from hybridcx.models import Conversation

SIGNALS: dict[str, str] = {
    "late_shipment": "An order not delivered yet whose promised delivery date has passed.",
    "failed_payment": "A payment the company's billing system reports as failed.",
    "appointment_tomorrow": "A booked appointment that starts tomorrow (UTC day).",
    "repeat_contact": "Two or more conversations about the same issue in the last 7 days.",
    "churn_risk": "A churn-risk score of 0.5 or more over the last 30 days of contacts.",
}

REPEAT_WINDOW = timedelta(days=7)
CHURN_WINDOW = timedelta(days=30)
CHURN_THRESHOLD = 0.5


class OutreachSource(Protocol):
    """What the signals need from the company backend, beyond the flows' calls."""

    async def late_orders(self, today: Any) -> list[tuple[Order, str]]: ...

    async def appointments_between(
        self, start: datetime, end: datetime
    ) -> list[tuple[Slot, str]]: ...


@dataclass(frozen=True)
class Hit:
    customer_id: str
    key: str
    context: dict[str, Any] = field(default_factory=dict)


def churn_score(contacts: int, mean_sentiment: float | None, escalated: int) -> float:
    """0..1: 0.35 x min(contacts / 3, 1) + 0.45 x max(0, -mean sentiment) + 0.2 x share of the
    contacts that went to a person. Three contacts in a month, unhappy on average, most handed
    over scores near 1; one calm self-served contact near 0.1."""
    if contacts <= 0:
        return 0.0
    volume = min(contacts / 3, 1.0)
    mood = max(0.0, -(mean_sentiment or 0.0))
    return round(0.35 * volume + 0.45 * min(mood, 1.0) + 0.2 * (escalated / contacts), 3)


async def evaluate(
    session: AsyncSession,
    workspace_id: str,
    signal: str,
    *,
    now: datetime,
    source: OutreachSource | None = None,
) -> list[Hit]:
    """The customers the signal finds at ``now`` (naive UTC)."""
    backend: Any = source if source is not None else DemoBackend(session, workspace_id)
    if signal == "late_shipment":
        return await _by_email(
            session,
            workspace_id,
            [
                (
                    email,
                    f"late_shipment:{o.number}",
                    {
                        "order_number": o.number,
                        "carrier": o.carrier or "",
                        "expected_delivery": o.expected_delivery.isoformat()
                        if o.expected_delivery
                        else "",
                        "order_status": o.status,
                    },
                )
                for o, email in await backend.late_orders(now.date())
            ],
        )
    if signal == "appointment_tomorrow":
        start = datetime.combine(now.date() + timedelta(days=1), datetime.min.time())
        slots = await backend.appointments_between(start, start + timedelta(days=1))
        return await _by_email(
            session,
            workspace_id,
            [
                (
                    email,
                    f"appointment:{s.id}",
                    {"appointment_at": f"{s.starts_at:%a %d %b %H:%M}", "location": s.location},
                )
                for s, email in slots
            ],
        )
    if signal == "failed_payment":
        finder = getattr(backend, "failed_payments", None)
        if finder is None:
            return []
        rows = await finder(now)
        return await _by_email(
            session,
            workspace_id,
            [(email, f"payment:{ref}", {"payment_ref": ref}) for ref, email in rows],
        )
    if signal == "repeat_contact":
        return await _repeat_contacts(session, workspace_id, now)
    if signal == "churn_risk":
        return await _churn_risks(session, workspace_id, now)
    raise ValueError(f"unknown signal {signal!r}")


async def _by_email(
    session: AsyncSession, workspace_id: str, rows: list[tuple[str, str, dict[str, Any]]]
) -> list[Hit]:
    hits: list[Hit] = []
    for email, key, context in rows:
        if not email:
            continue
        customer = await find_customer_by_email(session, workspace_id, email)
        if customer is not None and customer.erased_at is None:
            hits.append(Hit(customer.id, key, context))
    return hits


def _topic(conv: Conversation) -> str | None:
    return (conv.ai_state or {}).get("topic") or (conv.routing or {}).get("intent")


async def _recent(
    session: AsyncSession, workspace_id: str, since: datetime, now: datetime
) -> list[Conversation]:
    stmt = (
        select(Conversation)
        .where(
            Conversation.workspace_id == workspace_id,
            Conversation.created_at >= since,
            Conversation.created_at <= now,
        )
        .order_by(Conversation.created_at)
    )
    rows = list((await session.execute(stmt)).scalars())
    # Our own notices are not contacts the customer made.
    return [c for c in rows if not (c.channel_meta or {}).get("outreach")]


async def _repeat_contacts(session: AsyncSession, workspace_id: str, now: datetime) -> list[Hit]:
    groups: dict[tuple[str, str], list[Conversation]] = defaultdict(list)
    for conv in await _recent(session, workspace_id, now - REPEAT_WINDOW, now):
        topic = _topic(conv)
        if topic and topic not in ("greeting", "goodbye", "thanks", "human_agent"):
            groups[(conv.customer_id, topic)].append(conv)
    return [
        Hit(
            customer_id,
            f"repeat_contact:{topic}:{convs[-1].id}",
            {"topic": topic.replace("_", " "), "contacts": len(convs)},
        )
        for (customer_id, topic), convs in sorted(groups.items())
        if len(convs) >= 2
    ]


async def _churn_risks(session: AsyncSession, workspace_id: str, now: datetime) -> list[Hit]:
    per: dict[str, list[Conversation]] = defaultdict(list)
    for conv in await _recent(session, workspace_id, now - CHURN_WINDOW, now):
        per[conv.customer_id].append(conv)
    hits: list[Hit] = []
    for customer_id, convs in sorted(per.items()):
        moods = [
            float(s)
            for c in convs
            if isinstance(s := (c.routing or {}).get("sentiment"), int | float)
        ]
        mean = sum(moods) / len(moods) if moods else None
        escalated = sum(1 for c in convs if c.tier > 1)
        score = churn_score(len(convs), mean, escalated)
        if score >= CHURN_THRESHOLD:
            hits.append(
                Hit(
                    customer_id,
                    f"churn_risk:{now:%Y-%m}",
                    {"score": score, "contacts": len(convs)},
                )
            )
    return hits
