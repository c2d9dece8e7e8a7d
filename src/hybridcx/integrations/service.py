"""Saving, reading and checking a workspace's connectors, and building the one that serves the
flows. Secrets go in sealed and never come out of here except into a connector."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.audit import record as audit
from hybridcx.customers.repository import find_customer_by_email, to_e164
from hybridcx.flows.backend import BackendUnavailable
from hybridcx.integrations.kinds import Check, ConnectorError, Probe, kind
from hybridcx.kit.errors import InvalidInput, NotFound
from hybridcx.kit.ids import new_id, utcnow
from hybridcx.kit.time import iso
from hybridcx.models import IntegrationConnector, IntegrationSync

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_SECRET_CHARS = 4000


async def connectors(session: AsyncSession, workspace_id: str) -> list[IntegrationConnector]:
    rows = await session.execute(
        select(IntegrationConnector)
        .where(IntegrationConnector.workspace_id == workspace_id)
        .order_by(IntegrationConnector.name)
    )
    return list(rows.scalars())


async def connector(
    session: AsyncSession, workspace_id: str, name: str
) -> IntegrationConnector | None:
    rows = await session.execute(
        select(IntegrationConnector).where(
            IntegrationConnector.workspace_id == workspace_id, IntegrationConnector.name == name
        )
    )
    return rows.scalars().first()


async def connector_by_id(session: AsyncSession, connector_id: str) -> IntegrationConnector | None:
    return await session.get(IntegrationConnector, connector_id)


async def delete_connector(session: AsyncSession, row: IntegrationConnector) -> None:
    """Remove a connector with what was sent to it."""
    await session.execute(delete(IntegrationSync).where(IntegrationSync.connector_id == row.id))
    await session.delete(row)


async def syncs(
    session: AsyncSession, connector_id: str, status: str | None = None, *, limit: int = 100
) -> list[IntegrationSync]:
    """What was sent to a connector (of one status when given), newest first."""
    stmt = select(IntegrationSync).where(IntegrationSync.connector_id == connector_id)
    if status:
        stmt = stmt.where(IntegrationSync.status == status)
    rows = await session.execute(stmt.order_by(IntegrationSync.created_at.desc()).limit(limit))
    return list(rows.scalars())


async def _dead_sync(
    session: AsyncSession, connector_id: str, sync_id: str, verb: str
) -> IntegrationSync:
    sync = await session.get(IntegrationSync, sync_id)
    if sync is None or sync.connector_id != connector_id:
        raise NotFound("No such sync for this connector.")
    if sync.status != "dead":
        raise InvalidInput(f"Only a dead sync is {verb}; this one is {sync.status}.")
    return sync


async def retry_sync(session: AsyncSession, connector_id: str, sync_id: str) -> IntegrationSync:
    """Send a dead sync again (its attempts start over); 404 or 422 for any other."""
    sync = await _dead_sync(session, connector_id, sync_id, "retried")
    sync.status, sync.attempts, sync.last_error = "pending", 0, None
    sync.next_attempt_at = sync.updated_at = utcnow()
    return sync


async def discard_sync(session: AsyncSession, connector_id: str, sync_id: str) -> IntegrationSync:
    """Take a dead sync off the dead-letter list without sending it; 404 or 422 for any other."""
    sync = await _dead_sync(session, connector_id, sync_id, "discarded")
    sync.status, sync.updated_at = "discarded", utcnow()
    sync.payload = None  # an erasure never sent keeps no emails
    return sync


async def flow_connector(session: AsyncSession, workspace_id: str) -> IntegrationConnector | None:
    """The connector that answers the workspace's flows, if one does."""
    rows = await session.execute(
        select(IntegrationConnector)
        .where(
            IntegrationConnector.workspace_id == workspace_id,
            IntegrationConnector.serves_flows.is_(True),
        )
        .limit(1)
    )
    return rows.scalars().first()


def public(row: IntegrationConnector) -> dict[str, Any]:
    """What the API and the CLI show: never a secret, only which secrets are set."""
    return {
        "id": row.id,  # in the webhook URLs (/api/v1/integrations/hooks/{id}/…)
        "name": row.name,
        "kind": row.kind,
        "settings": dict(row.settings or {}),
        "secrets_set": sorted((row.secrets or {}).keys()),
        "serves_flows": row.serves_flows,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


async def save(
    session: AsyncSession,
    workspace_id: str,
    name: str,
    *,
    kind_name: str,
    settings: Mapping[str, Any],
    secrets: Mapping[str, str] | None,
    serves_flows: bool,
) -> IntegrationConnector:
    """Create or replace a connector. ``secrets=None`` keeps the stored ones; a secret given
    as "" is removed. Raises ConnectorError with a message for the admin."""
    if not NAME.match(name):
        raise ConnectorError(
            "a connector name is 1-64 lower-case letters, digits, '-' or '_' (e.g. shop)"
        )
    spec = kind(kind_name)
    clean = spec.validate(settings)
    row = await connector(session, workspace_id, name)
    stored: dict[str, str] = dict(row.secrets or {}) if row is not None else {}
    if row is not None and row.kind != kind_name:
        stored = {}  # another system: the old credentials mean nothing to it
    for key, value in (secrets or {}).items():
        if not isinstance(value, str) or len(value) > MAX_SECRET_CHARS:
            raise ConnectorError(f"secret {key!r} must be text of at most {MAX_SECRET_CHARS} chars")
        if value == "":
            stored.pop(key, None)
        else:
            stored[key] = value
    required, optional = spec.secrets(clean)
    missing = [s for s in required if s not in stored]
    if missing:
        raise ConnectorError(f"{kind_name} connector {name!r} needs the secrets {missing}")
    unknown = sorted(set(stored) - set(required) - set(optional))
    if unknown:
        raise ConnectorError(
            f"{kind_name} connector {name!r} takes the secrets {[*required, *optional]}, "
            f"not {unknown}"
        )
    if serves_flows and not spec.serves_flows:
        raise ConnectorError(f"a {kind_name} connector cannot answer the flows")
    now = utcnow()
    if serves_flows:  # one system answers the flows
        await session.execute(
            update(IntegrationConnector)
            .where(
                IntegrationConnector.workspace_id == workspace_id,
                IntegrationConnector.name != name,
            )
            .values(serves_flows=False, updated_at=now)
        )
    if row is None:
        row = IntegrationConnector(
            id=new_id(), workspace_id=workspace_id, name=name, created_at=now
        )
        session.add(row)
    row.kind = kind_name
    row.settings = clean
    row.secrets = stored or None
    row.serves_flows = serves_flows
    row.updated_at = now
    await session.flush()
    return row


# ---- built connectors, kept per process ----------------------------------------------------------

# (connector id, loop) -> (updated_at, connector). A connector keeps its HTTP connections and
# its circuit breaker across turns; a changed configuration builds a new one.
_BUILT: dict[tuple[str, int], tuple[Any, Any]] = {}


def build(row: IntegrationConnector) -> Any:
    key = (row.id, id(asyncio.get_running_loop()))
    hit = _BUILT.get(key)
    if hit is not None and hit[0] == row.updated_at:
        return hit[1]
    built = kind(row.kind).build(row.name, row.settings or {}, row.secrets or {})
    _BUILT[key] = (row.updated_at, built)
    if hit is not None:  # the configuration changed: let the old one's connections go
        _closing.add(task := asyncio.get_running_loop().create_task(hit[1].aclose()))
        task.add_done_callback(_closing.discard)
    return built


_closing: set[asyncio.Task[Any]] = set()


async def check(row: IntegrationConnector, probe: Probe) -> list[Check]:
    """Read-only calls against the live system: what works and what does not."""
    try:
        backend = kind(row.kind).build(row.name, row.settings or {}, row.secrets or {})
    except (ConnectorError, KeyError, ValueError) as exc:
        return [Check("configuration", False, str(exc))]
    except BackendUnavailable as exc:
        return [Check("configuration", False, exc.detail)]
    try:
        return await kind(row.kind).checks(backend, probe)
    finally:
        await backend.aclose()


async def shopify_customer_update(
    session: AsyncSession, row: IntegrationConnector, payload: dict[str, Any]
) -> bool:
    """A Shopify ``customers/update`` webhook: Shopify wins for name and phone."""
    name = " ".join(str(payload.get(k) or "").strip() for k in ("first_name", "last_name"))
    return await _update_customer(
        session, row, str(payload.get("email") or ""), name, payload.get("phone"), "shopify"
    )


async def _update_customer(
    session: AsyncSession, row: IntegrationConnector, email: str, name: str, phone: Any, source: str
) -> bool:
    """The connected system wins for name and phone of a customer hybridcx already knows by
    this email. Customers hybridcx has never seen are not copied in."""
    email = email.strip()
    if not email:
        return False
    customer = await find_customer_by_email(session, row.workspace_id, email)
    if customer is None:
        return False
    changed: list[str] = []
    name = name.strip()[:200]
    if name and name != customer.name:
        customer.name = name
        changed.append("name")
    e164 = to_e164(str(phone)) if phone else None
    if e164 and e164 != customer.phone:
        customer.phone = e164
        changed.append("phone")
    if changed:
        audit(
            session,
            action="customer.updated",
            actor_type="integration",
            actor_id=row.name,
            workspace_id=row.workspace_id,
            target_type="customer",
            target_id=customer.id,
            details={"fields": changed, "source": source},
        )
    return bool(changed)
