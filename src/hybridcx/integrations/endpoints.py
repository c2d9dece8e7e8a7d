"""``/api/v1/integrations``: a workspace's connectors to the company's systems (admins), their
read-only checks, and the signed webhooks those systems send back."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from hybridcx.audit import record as audit
from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import IntegrationManager
from hybridcx.integrations import service
from hybridcx.integrations.hubspot import verify_signature_v3
from hybridcx.integrations.kinds import KINDS, ConnectorError, Probe, kind
from hybridcx.integrations.shopify import verify_webhook
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import InvalidInput, NotFound, PayloadTooLarge, Unauthorized
from hybridcx.kit.ids import utcnow
from hybridcx.kit.time import iso
from hybridcx.models import IntegrationConnector, IntegrationSync
from hybridcx.profiles.fieldsync import apply_contact, property_names

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/api/v1/integrations", tags=["integrations"])
MAX_WEBHOOK_BYTES = 512 * 1024


class ConnectorWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(max_length=32, description=f"One of {', '.join(KINDS)}.")
    settings: dict[str, Any] = Field(
        description="What is not secret: for http the `mapping`, for shopify the `shop`."
    )
    secrets: dict[str, str] | None = Field(
        default=None,
        description="Credentials, sealed at rest and never returned. Left out: kept as they "
        'are; a key set to "" is removed.',
    )
    serves_flows: bool = Field(
        default=False, description="This connector answers the Tier 1 flows (one per workspace)."
    )


class ConnectorRead(BaseModel):
    id: str = Field(description="In the webhook URLs: /api/v1/integrations/hooks/{id}/…")
    name: str
    kind: str
    settings: dict[str, Any]
    secrets_set: list[str] = Field(description="Which secrets are stored (never their values).")
    serves_flows: bool
    created_at: str | None
    updated_at: str | None


class KindRead(BaseModel):
    name: str
    description: str


class ConnectorList(BaseModel):
    items: list[ConnectorRead]
    kinds: list[KindRead]


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr = Field(default="test@example.com", description="A customer to look up.")
    order: str = Field(default="1001", max_length=64, description="An order number to look up.")


class CheckRead(BaseModel):
    name: str
    ok: bool
    detail: str


class CheckList(BaseModel):
    ok: bool
    checks: list[CheckRead]


async def _connector(session: Any, workspace_id: str, name: str) -> IntegrationConnector:
    row = await service.connector(session, workspace_id, name)
    if row is None:
        raise NotFound(f"No connector {name!r} in this workspace.")
    return row


@router.get("", response_model=ConnectorList)
async def list_connectors(staff: IntegrationManager, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.sessions() as session:
        rows = await service.connectors(session, staff.workspace_id)
        return {
            "items": [service.public(r) for r in rows],
            "kinds": [{"name": k.name, "description": k.description} for k in KINDS.values()],
        }


@router.put("/{name}", response_model=ConnectorRead)
async def put_connector(
    name: str, body: ConnectorWrite, staff: IntegrationManager, runtime: RuntimeDep
) -> dict[str, Any]:
    """Create or replace a connector. The settings are validated now (a mapping with a typo
    is a 422 that names the place); the secrets are sealed with the workspace's key ring."""
    async with transaction(runtime.sessions) as session:
        try:
            row = await service.save(
                session,
                staff.workspace_id,
                name,
                kind_name=body.kind,
                settings=body.settings,
                secrets=body.secrets,
                serves_flows=body.serves_flows,
            )
        except ConnectorError as exc:
            raise InvalidInput(str(exc)) from None
        audit(
            session,
            action="integration.saved",
            actor=staff,
            target_type="integration",
            target_id=row.id,
            details={
                "name": name,
                "kind": body.kind,
                "serves_flows": body.serves_flows,
                "secrets_changed": sorted(body.secrets or {}),  # names only
            },
        )
        return service.public(row)


@router.get("/{name}", response_model=ConnectorRead)
async def get_connector(
    name: str, staff: IntegrationManager, runtime: RuntimeDep
) -> dict[str, Any]:
    async with runtime.sessions() as session:
        return service.public(await _connector(session, staff.workspace_id, name))


@router.delete("/{name}", status_code=204, response_class=Response)
async def delete_connector(name: str, staff: IntegrationManager, runtime: RuntimeDep) -> Response:
    async with transaction(runtime.sessions) as session:
        row = await _connector(session, staff.workspace_id, name)
        await service.delete_connector(session, row)
        audit(
            session,
            action="integration.deleted",
            actor=staff,
            target_type="integration",
            target_id=row.id,
            details={"name": name, "kind": row.kind},
        )
    return Response(status_code=204)


@router.post("/{name}/test", response_model=CheckList)
async def test_connector(
    name: str, staff: IntegrationManager, runtime: RuntimeDep, body: CheckRequest | None = None
) -> dict[str, Any]:
    """Read-only calls against the live system (as ``hybridcx integrations test``)."""
    probe = body or CheckRequest()
    async with runtime.sessions() as session:
        row = await _connector(session, staff.workspace_id, name)
    checks = await service.check(row, Probe(str(probe.email), probe.order, utcnow()))
    return {"ok": all(c.ok for c in checks), "checks": [c.to_dict() for c in checks]}


class SyncRead(BaseModel):
    id: str
    conversation_id: str | None = Field(description="A ticket's conversation")
    customer_id: str | None = Field(description="A customer push's or an erasure's customer")
    action: str = Field(description="ticket, contact (a customer push) or erase")
    status: str = Field(description="pending, done, dead (the dead-letter list) or discarded")
    attempts: int
    external_id: str | None = Field(description="The CRM's id of what was created.")
    last_error: str | None
    next_attempt_at: str | None
    updated_at: str | None


class SyncList(BaseModel):
    items: list[SyncRead]


def _sync_read(row: IntegrationSync) -> dict[str, Any]:
    return {
        "id": row.id,
        "conversation_id": row.conversation_id,
        "customer_id": row.customer_id,
        "action": row.action,
        "status": row.status,
        "attempts": row.attempts,
        "external_id": row.external_id,
        "last_error": row.last_error,
        "next_attempt_at": iso(row.next_attempt_at) if row.status == "pending" else None,
        "updated_at": iso(row.updated_at),
    }


@router.get("/{name}/syncs", response_model=SyncList)
async def list_syncs(
    name: str,
    staff: IntegrationManager,
    runtime: RuntimeDep,
    status: Annotated[str | None, Query(pattern="^(pending|done|dead|discarded)$")] = None,
) -> dict[str, Any]:
    """What was sent to this connector, newest first (100); ``status=dead`` is the dead-letter
    list: syncs that failed every attempt."""
    async with runtime.sessions() as session:
        row = await _connector(session, staff.workspace_id, name)
        rows = await service.syncs(session, row.id, status)
        return {"items": [_sync_read(s) for s in rows]}


@router.post("/{name}/syncs/{sync_id}/retry", response_model=SyncRead)
async def retry_sync(
    name: str, sync_id: str, staff: IntegrationManager, runtime: RuntimeDep
) -> dict[str, Any]:
    """Send a dead sync again (its attempts start over)."""
    async with transaction(runtime.sessions) as session:
        row = await _connector(session, staff.workspace_id, name)
        sync = await service.retry_sync(session, row.id, sync_id[:36])
        audit(
            session,
            action="integration.sync_retried",
            actor=staff,
            target_type="integration",
            target_id=row.id,
            details={"sync_id": sync.id, "conversation_id": sync.conversation_id},
        )
        return _sync_read(sync)


@router.post("/{name}/syncs/{sync_id}/discard", response_model=SyncRead)
async def discard_sync(
    name: str, sync_id: str, staff: IntegrationManager, runtime: RuntimeDep
) -> dict[str, Any]:
    """Issue 20: take a dead sync off the dead-letter list without sending it (``discarded``;
    kept, so the same event is never sent again)."""
    async with transaction(runtime.sessions) as session:
        row = await _connector(session, staff.workspace_id, name)
        sync = await service.discard_sync(session, row.id, sync_id[:36])
        audit(
            session,
            action="integration.sync_discarded",
            actor=staff,
            target_type="integration",
            target_id=row.id,
            details={"sync_id": sync.id, "conversation_id": sync.conversation_id},
        )
        return _sync_read(sync)


@router.post("/hooks/{connector_id}/shopify", include_in_schema=True)
async def shopify_webhook(
    connector_id: str,
    request: Request,
    runtime: RuntimeDep,
    hmac_header: Annotated[str | None, Header(alias="X-Shopify-Hmac-Sha256")] = None,
    topic: Annotated[str | None, Header(alias="X-Shopify-Topic")] = None,
) -> dict[str, Any]:
    """A Shopify webhook for this connector, signed with the connector's ``webhook_secret``.
    ``customers/update`` brings the customer's name and phone into the hybridcx customer with
    the same email (Shopify wins for these fields); other topics are acknowledged."""
    body = await request.body()
    if len(body) > MAX_WEBHOOK_BYTES:
        raise PayloadTooLarge("Webhook body over 512 KiB.")
    async with transaction(runtime.sessions) as session:
        row = await service.connector_by_id(session, connector_id[:36])
        secret = (row.secrets or {}).get("webhook_secret", "") if row is not None else ""
        if row is None or row.kind != "shopify" or not verify_webhook(secret, body, hmac_header):
            # one answer for "no such connector" and "bad signature": nothing to probe
            raise Unauthorized("Webhook signature does not match.")
        try:
            payload = json.loads(body)
        except ValueError:
            raise InvalidInput("Webhook body is not JSON.") from None
        updated = False
        if topic == "customers/update" and isinstance(payload, dict):
            updated = await service.shopify_customer_update(session, row, payload)
        log.info("integration.webhook", connector=row.name, topic=topic, updated=updated)
        return {"ok": True, "topic": topic, "customer_updated": updated}


@router.post("/hooks/{connector_id}/hubspot")
async def hubspot_webhook(
    connector_id: str,
    request: Request,
    runtime: RuntimeDep,
    signature: Annotated[str | None, Header(alias="X-HubSpot-Signature-v3")] = None,
    timestamp: Annotated[str | None, Header(alias="X-HubSpot-Request-Timestamp")] = None,
) -> dict[str, Any]:
    """HubSpot's webhook for this connector, checked with signature v3 (the app's
    ``client_secret``). ``contact.propertyChange`` and ``contact.creation`` read the contact
    back from HubSpot and bring its name and phone into the hybridcx customer with the same
    email (HubSpot wins for these fields)."""
    body = await request.body()
    if len(body) > MAX_WEBHOOK_BYTES:
        raise PayloadTooLarge("Webhook body over 512 KiB.")
    async with runtime.sessions() as session:
        row = await service.connector_by_id(session, connector_id[:36])
    secret = (row.secrets or {}).get("client_secret", "") if row is not None else ""
    uri = str((row.settings or {}).get("webhook_url") or request.url) if row is not None else ""
    ok = row is not None and row.kind == "hubspot"
    if not ok or not verify_signature_v3(
        secret,
        method=request.method,
        uri=uri,
        body=body,
        timestamp=timestamp,
        signature=signature,
        now_ms=int(time.time() * 1000),
    ):
        raise Unauthorized("Webhook signature does not match (or is older than five minutes).")
    assert row is not None
    try:
        events = json.loads(body)
    except ValueError:
        raise InvalidInput("Webhook body is not JSON.") from None
    if not isinstance(events, list):
        raise InvalidInput("A HubSpot webhook body is a list of events.")
    contact_ids = sorted(
        {
            str(e.get("objectId"))
            for e in events[:100]
            if isinstance(e, dict)
            and e.get("subscriptionType") in ("contact.propertyChange", "contact.creation")
            and str(e.get("objectId") or "").isdigit()
        }
    )
    crm = kind("hubspot").build(row.name, row.settings or {}, row.secrets or {})
    contacts = []
    extra = tuple(sorted(set(property_names(row.settings or {}).values())))
    for contact_id in contact_ids:
        found = await crm.contact(contact_id, extra)  # BackendUnavailable: 503, HubSpot retries
        if found is not None:
            contacts.append(found)
    updated = 0
    async with transaction(runtime.sessions) as session:
        for c in contacts:
            # every synced field by its conflict rule (profiles.fieldsync)
            updated += await apply_contact(session, row, c, source="hubspot")
    log.info("integration.webhook", connector=row.name, events=len(events), updated=updated)
    return {"ok": True, "events": len(events), "customers_updated": updated}
