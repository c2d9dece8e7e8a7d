"""Sending resolved conversations to the CRM, from the database, not from in-process events.

Like the webhook worker, it reads the conversation event log: every ``conversation.resolved``
of a workspace with a CRM connector becomes one ``integration_syncs`` row (unique per connector
and event, so a second process or a second round enqueues nothing twice), and due rows are
sent: a ticket with the post-contact summary. A failure is retried with exponential backoff;
after the last attempt the row is ``dead`` and waits in the dead-letter list
(``GET /api/v1/integrations/{name}/syncs?status=dead``) for an admin to retry it.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hybridcx.flows.backend import BackendUnavailable
from hybridcx.integrations.hubspot import ResolvedCase
from hybridcx.integrations.kinds import CRM_KINDS, kind
from hybridcx.kit.db import transaction
from hybridcx.kit.ids import new_id, utcnow
from hybridcx.kit.tasks import reraise_if_cancelled
from hybridcx.models import (
    Conversation,
    ConversationEvent,
    Customer,
    IntegrationConnector,
    IntegrationSync,
)

log = structlog.get_logger(__name__)
OVERLAP = timedelta(seconds=30)  # re-read this far back, for events committed out of order
BATCH = 200
LEASE = timedelta(seconds=60)  # a claimed row is not taken by another worker for this long


@dataclass(frozen=True)
class SyncPolicy:
    max_attempts: int = 6
    base_seconds: float = 10.0
    max_seconds: float = 3600.0

    def delay(self, attempt: int) -> timedelta:
        return timedelta(
            seconds=min(self.max_seconds, self.base_seconds * 2 ** max(0, attempt - 1))
        )


async def _crm_connectors(session: AsyncSession) -> list[IntegrationConnector]:
    rows = await session.execute(
        select(IntegrationConnector).where(IntegrationConnector.kind.in_(sorted(CRM_KINDS)))
    )
    return list(rows.scalars())


async def enqueue_resolved(sessions: async_sessionmaker[AsyncSession]) -> int:
    """One pending sync per resolved conversation per CRM connector; returns how many new."""
    added = 0
    async with transaction(sessions) as session:
        for connector in await _crm_connectors(session):
            newest = (
                await session.execute(
                    select(func.max(IntegrationSync.source_at)).where(
                        IntegrationSync.connector_id == connector.id
                    )
                )
            ).scalar_one_or_none()
            since = max(connector.created_at, newest - OVERLAP) if newest else connector.created_at
            events = (
                await session.execute(
                    select(
                        ConversationEvent.id,
                        ConversationEvent.created_at,
                        ConversationEvent.conversation_id,
                    )
                    .where(
                        ConversationEvent.workspace_id == connector.workspace_id,
                        ConversationEvent.type == "conversation.resolved",
                        ConversationEvent.created_at >= since,
                    )
                    .order_by(ConversationEvent.seq)
                    .limit(BATCH)
                )
            ).all()
            if not events:
                continue
            known = set(
                (
                    await session.execute(
                        select(IntegrationSync.source_id).where(
                            IntegrationSync.connector_id == connector.id,
                            IntegrationSync.source_id.in_([e[0] for e in events]),
                        )
                    )
                ).scalars()
            )
            for event_id, at, conversation_id in events:
                if event_id in known:
                    continue
                try:
                    async with session.begin_nested():
                        session.add(
                            IntegrationSync(
                                id=new_id(),
                                workspace_id=connector.workspace_id,
                                connector_id=connector.id,
                                source_id=event_id,
                                source_at=at,
                                conversation_id=conversation_id,
                                action="ticket",
                                status="pending",
                                attempts=0,
                                next_attempt_at=utcnow(),
                                updated_at=utcnow(),
                            )
                        )
                    added += 1
                except IntegrityError:
                    pass  # another worker enqueued it first
    return added


async def _case(session: AsyncSession, row: IntegrationSync, link_base: str | None) -> ResolvedCase:
    event = (
        (
            await session.execute(
                select(ConversationEvent).where(ConversationEvent.id == row.source_id)
            )
        )
        .scalars()
        .first()
    )
    conv = await session.get(Conversation, row.conversation_id)
    customer = await session.get(Customer, conv.customer_id) if conv is not None else None
    data: dict[str, Any] = dict(event.data or {}) if event is not None else {}
    return ResolvedCase(
        conversation_id=row.conversation_id,
        email=customer.email if customer is not None and not customer.erased_at else None,
        customer_name=customer.name if customer is not None else "",
        channel=conv.channel if conv is not None else "",
        summary=str(data.get("summary") or ""),
        category=data.get("category"),
        intent=(conv.routing or {}).get("intent") if conv is not None else None,
        link=f"{link_base.rstrip('/')}/desk?conversation={row.conversation_id}"
        if link_base
        else None,
    )


async def deliver_due(
    sessions: async_sessionmaker[AsyncSession],
    policy: SyncPolicy,
    *,
    now: datetime | None = None,
) -> int:
    """Send the syncs that are due; returns how many were sent."""
    now = now or utcnow()
    async with sessions() as session:
        due = list(
            (
                await session.execute(
                    select(IntegrationSync.id, IntegrationSync.next_attempt_at)
                    .where(
                        IntegrationSync.status == "pending",
                        IntegrationSync.next_attempt_at <= now,
                    )
                    .order_by(IntegrationSync.next_attempt_at)
                    .limit(BATCH)
                )
            ).all()
        )
    sent = 0
    for sync_id, due_at in due:
        async with transaction(sessions) as session:  # claim it: another worker skips it
            claimed = await session.execute(
                update(IntegrationSync)
                .where(
                    IntegrationSync.id == sync_id,
                    IntegrationSync.status == "pending",
                    IntegrationSync.next_attempt_at == due_at,
                )
                .values(next_attempt_at=now + LEASE)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                continue
            row = await session.get(IntegrationSync, sync_id)
            connector = await session.get(IntegrationConnector, row.connector_id) if row else None
            if row is None or connector is None:
                continue
            case = await _case(session, row, (connector.settings or {}).get("link_base"))
            settings, secrets = dict(connector.settings or {}), dict(connector.secrets or {})
        external_id: str | None = None
        error: str | None = None
        try:
            crm = kind(connector.kind).build(connector.name, settings, secrets)
            try:
                external_id = await crm.create_ticket(case)
            finally:
                await crm.aclose()
        except BackendUnavailable as exc:
            error = exc.detail
        async with transaction(sessions) as session:
            row = await session.get(IntegrationSync, sync_id)
            if row is None:
                continue
            row.attempts += 1
            row.updated_at = now
            if external_id is not None:
                row.status, row.external_id, row.last_error = "done", external_id, None
                sent += 1
            else:
                row.last_error = (error or "failed")[:500]
                if row.attempts >= policy.max_attempts:
                    row.status = "dead"
                else:
                    row.next_attempt_at = now + policy.delay(row.attempts)
            log.info(
                "integration.sync",
                connector=connector.name,
                conversation_id=row.conversation_id,
                status=row.status,
                attempts=row.attempts,
                error=row.last_error,
            )
    return sent


class SyncWorker:
    """The background loop (started in the server's lifespan)."""

    def __init__(self, runtime: Any, *, poll_seconds: float, policy: SyncPolicy | None = None):
        self.runtime = runtime
        self.poll_seconds = poll_seconds
        self.policy = policy or SyncPolicy()
        self._task: asyncio.Task[None] | None = None

    async def run_once(self, *, now: datetime | None = None) -> int:
        await enqueue_resolved(self.runtime.sessions)
        return await deliver_due(self.runtime.sessions, self.policy, now=now)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception as exc:  # a bad round must not end the loop
                reraise_if_cancelled(exc)
                log.warning("integration.sync_round_failed", error=type(exc).__name__)
            await asyncio.sleep(self.poll_seconds)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
