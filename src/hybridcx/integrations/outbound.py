"""What hybridcx sends a CRM besides tickets: its own customer changes, and erasures.

Both are written to ``integration_syncs`` in the transaction that made the change (an outbox:
a change that rolls back sends nothing, a committed one is sent even if the server stops), and
the sync worker (``hybridcx.integrations.sync``) delivers them with the same retries, backoff
and dead-letter list as tickets.

- A **push** (``contact``) names the customer and the fields that changed; the values are read
  when it is sent, so a later change and a retry send the newest values, and sending twice is
  the same update (idempotent). Only fields whose conflict rule lets hybridcx win go out:
  ``hybridcx_wins`` always, ``newest_wins`` unless the CRM contact changed after the customer
  did; ``crm_wins`` fields are the CRM's to change. Pending pushes of one customer coalesce.
- An **erasure** (``erase``) carries the customer's emails, sealed, since the customer row is
  gone by the time it is sent; they are cleared once it is sent or discarded.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.integrations.kinds import CRM_KINDS
from hybridcx.kit.ids import new_id, utcnow
from hybridcx.models import IntegrationConnector, IntegrationSync
from hybridcx.profiles.fieldsync import FIELDS, PREFERENCES, rule_of

PUSHED_RULES = ("hybridcx_wins", "newest_wins")


def customer_fields(changed: Iterable[str]) -> list[str]:
    """The synced customer fields among what an update changed (``preferences``: all three
    preferences; a consent change names ``<purpose>_consent``)."""
    out: set[str] = set()
    for name in changed:
        if name in FIELDS:
            out.add(name)
        elif name == "preferences":
            out.update(PREFERENCES)
    return sorted(out)


async def _crm_connectors(session: AsyncSession, workspace_id: str) -> list[IntegrationConnector]:
    rows = await session.execute(
        select(IntegrationConnector).where(
            IntegrationConnector.workspace_id == workspace_id,
            IntegrationConnector.kind.in_(sorted(CRM_KINDS)),
        )
    )
    return list(rows.scalars())


async def enqueue_customer_push(
    session: AsyncSession, workspace_id: str, customer_id: str, changed: Iterable[str]
) -> int:
    """A pending push to every CRM connector whose rules let one of these fields out; returns
    how many connectors will get one."""
    fields = customer_fields(changed)
    if not fields:
        return 0
    now, queued = utcnow(), 0
    for connector in await _crm_connectors(session, workspace_id):
        settings = dict(connector.settings or {})
        mine = [f for f in fields if rule_of(settings, f) in PUSHED_RULES]
        if not mine:
            continue
        pending = (
            (
                await session.execute(
                    select(IntegrationSync).where(
                        IntegrationSync.connector_id == connector.id,
                        IntegrationSync.customer_id == customer_id,
                        IntegrationSync.action == "contact",
                        IntegrationSync.status == "pending",
                        IntegrationSync.attempts == 0,
                        IntegrationSync.next_attempt_at <= now,
                    )
                )
            )
            .scalars()
            .first()
        )
        if pending is not None:  # not claimed yet: one push carries both changes
            pending.fields = sorted(set(pending.fields or []) | set(mine))
            pending.source_at = pending.updated_at = now
        else:
            session.add(_row(connector, "contact", now, customer_id=customer_id, fields=mine))
        queued += 1
    return queued


async def enqueue_erasure(
    session: AsyncSession, workspace_id: str, customer_id: str, emails: Iterable[str]
) -> int:
    """An erasure for every CRM connector of the workspace, and no more pushes for the
    customer; returns how many erasures were queued."""
    wanted = sorted({e.strip().lower() for e in emails if e and e.strip()})
    connectors = await _crm_connectors(session, workspace_id)
    for connector in connectors:
        pushes = await session.execute(
            select(IntegrationSync).where(
                IntegrationSync.connector_id == connector.id,
                IntegrationSync.customer_id == customer_id,
                IntegrationSync.action == "contact",
                IntegrationSync.status.in_(("pending", "dead")),
            )
        )
        for push in pushes.scalars():
            push.status, push.updated_at = "discarded", utcnow()
        if wanted:
            session.add(
                _row(
                    connector,
                    "erase",
                    utcnow(),
                    customer_id=customer_id,
                    payload={"emails": wanted},
                )
            )
    return len(connectors) if wanted else 0


def _row(
    connector: IntegrationConnector,
    action: str,
    now: datetime,
    *,
    customer_id: str,
    fields: list[str] | None = None,
    payload: dict[str, Any] | None = None,
) -> IntegrationSync:
    return IntegrationSync(
        id=new_id(),
        workspace_id=connector.workspace_id,
        connector_id=connector.id,
        source_id=new_id(),  # each change is its own source: never deduplicated away
        source_at=now,
        conversation_id=None,
        customer_id=customer_id,
        fields=fields,
        payload=payload,
        action=action,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        updated_at=now,
    )
