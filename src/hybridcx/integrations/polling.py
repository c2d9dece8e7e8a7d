"""Inbound changes by polling: Salesforce Contacts changed since a cursor.

The cursor is ``(SystemModstamp, Id)`` of the last Contact read, kept on the connector
(``poll_cursor``); the last ``poll_lag_seconds`` are left for the next round, since a
transaction still committing in Salesforce may carry an older stamp than one already visible.
Each Contact is applied to the hybridcx customer with its email by the conflict rules
(``hybridcx.profiles.fieldsync``), so reading one twice changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hybridcx.flows.backend import BackendUnavailable
from hybridcx.integrations.kinds import kind
from hybridcx.integrations.salesforce import sf_time
from hybridcx.kit.db import transaction
from hybridcx.kit.ids import utcnow
from hybridcx.models import IntegrationConnector
from hybridcx.profiles.fieldsync import apply_contact, property_names

log = structlog.get_logger(__name__)


POLL_PAGE = 200
POLL_PAGES = 10  # per connector per round: a large backlog is read over several rounds


def _cursor(connector: IntegrationConnector) -> tuple[datetime, str]:
    stamp, _, last_id = (connector.poll_cursor or "").partition("|")
    try:
        return datetime.fromisoformat(stamp), last_id
    except ValueError:  # never polled: changes since the connector was made
        return connector.created_at.replace(microsecond=0), ""


def _as_contact(record: dict[str, Any], props: dict[str, str]) -> dict[str, Any]:
    """A Salesforce Contact as the field sync reads a CRM contact."""
    contact: dict[str, Any] = {
        "email": record.get("Email"),
        "firstname": record.get("FirstName"),
        "lastname": record.get("LastName"),
        "_updated_at": sf_time(record.get("SystemModstamp")),
    }
    for prop in props.values():
        value = record.get(prop)
        contact[prop] = str(value).lower() if isinstance(value, bool) else value
    return contact


async def poll_salesforce(
    sessions: async_sessionmaker[AsyncSession], *, now: datetime | None = None
) -> int:
    """Read the Contacts changed since each polling Salesforce connector's cursor
    (``SystemModstamp``, then ``Id``) up to ``poll_lag_seconds`` ago, apply them to the
    customers by the conflict rules, and move the cursor; returns how many customers changed.
    A failure leaves the cursor where it was (the next round reads the same contacts again,
    which changes nothing twice)."""
    now = now or utcnow()
    async with sessions() as session:
        rows = await session.execute(
            select(IntegrationConnector).where(IntegrationConnector.kind == "salesforce")
        )
        connectors = [c for c in rows.scalars() if (c.settings or {}).get("poll")]
    changed = 0
    for connector in connectors:
        settings, secrets = dict(connector.settings or {}), dict(connector.secrets or {})
        until = now - timedelta(seconds=int(settings.get("poll_lag_seconds", 60)))
        props = property_names(settings, kind="salesforce")
        cursor = _cursor(connector)
        for _ in range(POLL_PAGES):
            if cursor[0] >= until:
                break
            try:
                crm = kind("salesforce").build(connector.name, settings, secrets)
                try:
                    records = await crm.changed_contacts(
                        sorted(set(props.values())), after=cursor, until=until, limit=POLL_PAGE
                    )
                finally:
                    await crm.aclose()
            except BackendUnavailable as exc:
                log.warning("integration.poll_failed", connector=connector.name, error=exc.detail)
                break
            if not records:
                break
            async with transaction(sessions) as session:
                row = await session.get(IntegrationConnector, connector.id)
                if row is None:
                    break
                for record in records:
                    contact = _as_contact(record, props)
                    source = f"salesforce:{record.get('Id')}"
                    changed += await apply_contact(
                        session, row, contact, source=source, props=props
                    )
                last = records[-1]
                stamp = sf_time(last.get("SystemModstamp")) or cursor[0]
                cursor = (stamp, str(last.get("Id") or ""))
                row.poll_cursor = f"{cursor[0].isoformat()}|{cursor[1]}"
            if len(records) < POLL_PAGE:
                break
    return changed
