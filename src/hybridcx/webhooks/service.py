"""Turning conversation events and messages into deliveries, and delivering them.

Deliveries are made from the database, not from in-process events: the worker reads the
conversation event log and the messages written since an endpoint's last delivery, so an event
committed by any server process reaches every subscriber exactly once per endpoint (a unique
``(endpoint_id, source_id)`` stops a second enqueue), and a restart loses nothing.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import structlog
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hybridcx.kit.db import transaction
from hybridcx.kit.errors import NotFound
from hybridcx.kit.ids import new_id, utcnow
from hybridcx.kit.time import iso
from hybridcx.models import (
    Conversation,
    ConversationEvent,
    Message,
    WebhookDelivery,
    WebhookEndpoint,
)
from hybridcx.webhooks import signing

log = structlog.get_logger(__name__)

# conversation event type -> webhook event type
EVENT_MAP = {
    "conversation.created": "conversation.created",
    "conversation.queued": "conversation.escalated",
    "conversation.assigned": "conversation.assigned",
    "conversation.transferred": "conversation.transferred",
    "conversation.taken_over": "conversation.taken_over",
    "conversation.resolved": "conversation.resolved",
    "automation.webhook": "automation.fired",  # an automation rule's webhook action
    "sla.warning": "sla.warning",  # SLA policies
    "sla.breached": "sla.breached",
}
EVENT_TYPES = tuple(sorted({*EVENT_MAP.values(), "message.created"}))
# Re-read this far back from an endpoint's newest delivery, for rows committed out of order.
OVERLAP = timedelta(seconds=30)
BATCH = 500


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_seconds: float = 5.0
    max_seconds: float = 3600.0
    timeout_seconds: float = 10.0

    def delay(self, attempt: int) -> float:
        """Exponential backoff with jitter: base * 2^(n-1), capped, times 0.5-1.0."""
        raw = min(self.max_seconds, self.base_seconds * 2 ** max(0, attempt - 1))
        return raw * (0.5 + random.random() / 2)


def _body(event_type: str, at: datetime, data: dict[str, Any]) -> str:
    payload = {"type": event_type, "timestamp": iso(at), "data": data}
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str)


async def _since(session: AsyncSession, endpoint: WebhookEndpoint) -> datetime:
    newest = (
        await session.execute(
            select(func.max(WebhookDelivery.source_at)).where(
                WebhookDelivery.endpoint_id == endpoint.id
            )
        )
    ).scalar_one_or_none()
    return max(endpoint.created_at, newest - OVERLAP) if newest else endpoint.created_at


async def _sources(
    session: AsyncSession, endpoint: WebhookEndpoint, since: datetime
) -> list[tuple[str, datetime, str, str]]:
    """(source id, time, webhook type, body) of what happened since ``since``."""
    wanted = set(endpoint.event_types or [])
    found: list[tuple[str, datetime, str, str]] = []
    kinds = [k for k, v in EVENT_MAP.items() if v in wanted]
    if kinds:
        events = await session.execute(
            select(ConversationEvent)
            .where(
                ConversationEvent.workspace_id == endpoint.workspace_id,
                ConversationEvent.type.in_(kinds),
                ConversationEvent.created_at >= since,
            )
            .order_by(ConversationEvent.seq)
            .limit(BATCH)
        )
        for e in events.scalars():
            kind = EVENT_MAP[e.type]
            data = {"conversation_id": e.conversation_id, "event_id": e.id, **(e.data or {})}
            found.append((e.id, e.created_at, kind, _body(kind, e.created_at, data)))
    if "message.created" in wanted:
        messages = await session.execute(
            select(Message)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(
                Conversation.workspace_id == endpoint.workspace_id,
                Message.internal.is_(False),
                Message.created_at >= since,
            )
            .order_by(Message.seq)
            .limit(BATCH)
        )
        for m in messages.scalars():
            data = {
                "conversation_id": m.conversation_id,
                "message_id": m.id,
                "author": m.author,
                "text": m.text,
            }
            found.append(
                (
                    m.id,
                    m.created_at,
                    "message.created",
                    _body("message.created", m.created_at, data),
                )
            )
    return found


async def enqueue_new(sessions: async_sessionmaker[AsyncSession]) -> int:
    """Create pending deliveries for every endpoint's new events. Returns how many."""
    async with sessions() as session:
        endpoints = (await session.execute(select(WebhookEndpoint))).scalars().all()
    created = 0
    for endpoint in endpoints:
        try:
            async with transaction(sessions) as session:
                since = await _since(session, endpoint)
                known = set(
                    (
                        await session.execute(
                            select(WebhookDelivery.source_id).where(
                                WebhookDelivery.endpoint_id == endpoint.id,
                                WebhookDelivery.source_at >= since,
                            )
                        )
                    ).scalars()
                )
                now = utcnow()
                for source_id, at, kind, body in await _sources(session, endpoint, since):
                    if source_id in known:
                        continue
                    session.add(
                        WebhookDelivery(
                            id=new_id(),
                            endpoint_id=endpoint.id,
                            workspace_id=endpoint.workspace_id,
                            event_type=kind,
                            source_id=source_id,
                            source_at=at,
                            body=body,
                            status="pending",
                            attempt_count=0,
                            next_attempt_at=now,
                            attempts=[],
                            created_at=now,
                        )
                    )
                    created += 1
        except IntegrityError:  # another process enqueued the same source first
            log.info("webhooks.enqueue_raced", endpoint_id=endpoint.id)
    return created


async def deliver_due(
    sessions: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    policy: RetryPolicy,
    *,
    limit: int = 50,
) -> int:
    """Send every pending delivery whose time has come. Returns how many were attempted."""
    now = utcnow()
    async with sessions() as session:
        due = (
            await session.execute(
                select(WebhookDelivery.id, WebhookDelivery.next_attempt_at)
                .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
                .order_by(WebhookDelivery.next_attempt_at)
                .limit(limit)
            )
        ).all()
    attempted = 0
    for delivery_id, due_at in due:
        if await _claim(sessions, delivery_id, due_at, policy):
            await _attempt(sessions, client, delivery_id, policy)
            attempted += 1
    return attempted


async def _claim(
    sessions: async_sessionmaker[AsyncSession],
    delivery_id: str,
    due_at: datetime,
    policy: RetryPolicy,
) -> bool:
    """A lease (pushing next_attempt_at past the request timeout) so one process sends it."""
    async with transaction(sessions) as session:
        result = await session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at == due_at,
            )
            .values(next_attempt_at=utcnow() + timedelta(seconds=policy.timeout_seconds * 3))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


async def _attempt(
    sessions: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    delivery_id: str,
    policy: RetryPolicy,
) -> None:
    async with sessions() as session:
        delivery = await session.get(WebhookDelivery, delivery_id)
        endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id) if delivery else None
    if delivery is None or endpoint is None:
        return
    msg_id = f"msg_{delivery.id}"
    timestamp = int(time.time())
    started = time.monotonic()
    status_code: int | None = None
    error: str | None = None
    try:
        response = await client.post(
            endpoint.url,
            content=delivery.body.encode(),
            headers=signing.headers(endpoint.secret, msg_id, timestamp, delivery.body),
            timeout=policy.timeout_seconds,
        )
        status_code = response.status_code
        ok = 200 <= status_code < 300
        if not ok:
            error = f"HTTP {status_code}"
    except httpx.HTTPError as exc:
        ok, error = False, f"{type(exc).__name__}: {exc}"[:300]
    attempt = {
        "at": iso(utcnow()),
        "status_code": status_code,
        "error": error,
        "duration_ms": round((time.monotonic() - started) * 1000),
    }
    async with transaction(sessions) as session:
        row = await session.get(WebhookDelivery, delivery_id)
        if row is None:
            return
        row.attempt_count += 1
        row.attempts = [*(row.attempts or []), attempt]
        if ok:
            row.status, row.delivered_at = "delivered", utcnow()
        elif row.attempt_count >= policy.max_attempts:
            row.status = "failed"
        else:
            row.next_attempt_at = utcnow() + timedelta(seconds=policy.delay(row.attempt_count))
    log.info(
        "webhooks.attempt",
        delivery_id=delivery_id,
        endpoint_id=endpoint.id,
        status_code=status_code,
        ok=ok,
    )


# ---- a workspace's subscriptions -----------------------------------------------------------


def create_endpoint(
    session: AsyncSession,
    workspace_id: str,
    *,
    url: str,
    event_types: list[str],
    description: str,
) -> WebhookEndpoint:
    """A new subscription with a fresh signing secret."""
    endpoint = WebhookEndpoint(
        id=new_id(),
        workspace_id=workspace_id,
        url=url,
        secret=signing.new_secret(),
        event_types=event_types,
        description=description,
        created_at=utcnow(),
    )
    session.add(endpoint)
    return endpoint


async def endpoints_of(session: AsyncSession, workspace_id: str) -> list[WebhookEndpoint]:
    """The workspace's subscriptions, oldest first."""
    rows = await session.execute(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.workspace_id == workspace_id)
        .order_by(WebhookEndpoint.created_at)
    )
    return list(rows.scalars())


async def endpoint_in(session: AsyncSession, webhook_id: str, workspace_id: str) -> WebhookEndpoint:
    """The workspace's subscription; 404 otherwise."""
    endpoint = await session.get(WebhookEndpoint, webhook_id)
    if endpoint is None or endpoint.workspace_id != workspace_id:
        raise NotFound("No such webhook in this workspace.")
    return endpoint


async def deliveries_of(
    session: AsyncSession, endpoint_id: str, *, limit: int = 100
) -> list[WebhookDelivery]:
    """A subscription's latest deliveries, newest first."""
    rows = await session.execute(
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.created_at.desc())
        .limit(limit)
    )
    return list(rows.scalars())


async def delete_endpoint(session: AsyncSession, endpoint: WebhookEndpoint) -> None:
    """Remove a subscription with its deliveries."""
    await session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    await session.delete(endpoint)
