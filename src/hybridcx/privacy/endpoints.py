"""Privacy endpoints: customer data export and erasure, consents, erasure status, /pay."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import APIRouter, BackgroundTasks
from pydantic import BaseModel, ConfigDict, Field

from hybridcx.audit import record as audit
from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import ConsentManager, PrivacyOfficer
from hybridcx.auth.service import StaffPrincipal
from hybridcx.integrations.outbound import enqueue_customer_push
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import NotFound
from hybridcx.kit.ids import utcnow
from hybridcx.models import Customer
from hybridcx.privacy import erasure
from hybridcx.privacy.consent import PURPOSES, read_consents, updated_consents
from hybridcx.privacy.deps import ErasureDeps
from hybridcx.privacy.export import export_customer

log = structlog.get_logger(__name__)

router = APIRouter(tags=["privacy"])


# Export, erasure and the erasure requests: admins (``customers.privacy``); consents: supervisors
# and admins (``customers.consents``). The roles are mapped in auth/permissions.py.
PrivacyOfficer = PrivacyOfficer  # admins: export, erasure, requests
ConsentKeeper = ConsentManager


async def _customer(session: Any, staff: StaffPrincipal, customer_id: str) -> Customer:
    customer = await session.get(Customer, customer_id)
    if customer is None or customer.workspace_id != staff.workspace_id or customer.erased_at:
        raise NotFound("Customer not found.")
    return customer


@router.get("/api/v1/customers/{customer_id}/export")
async def export(customer_id: str, staff: PrivacyOfficer, runtime: RuntimeDep) -> dict[str, Any]:
    """Everything held about a customer of your workspace, as JSON (GDPR/CCPA access request):
    profile, consents, conversations with messages and events, past cases, attachments
    metadata, the company records and erasure requests."""
    async with transaction(runtime.sessions) as session:
        data = await export_customer(session, staff.workspace_id, customer_id, runtime=runtime)
        audit(
            session,
            action="customer.exported",
            actor=staff,
            target_type="customer",
            target_id=customer_id,  # the audit log keeps only a keyed pseudonym
        )
    log.info("privacy.exported", customer_id=customer_id, by=staff.agent_id)
    return data


@router.delete("/api/v1/customers/{customer_id}", status_code=202)
async def erase(
    customer_id: str, staff: PrivacyOfficer, runtime: RuntimeDep, tasks: BackgroundTasks
) -> dict[str, Any]:
    """Erase a customer (GDPR/CCPA): records an erasure request due in 30 days and carries it
    out right away in the background. Follow it at GET /api/v1/privacy/erasures/{id}."""
    async with transaction(runtime.sessions) as session:
        req = await erasure.request_erasure(
            session,
            workspace_id=staff.workspace_id,
            customer_id=customer_id,
            requested_by=staff.agent_id,
            due_days=runtime.erasure_due_days,
        )
        audit(
            session,
            action="customer.erased",
            actor=staff,
            target_type="customer",
            target_id=customer_id,  # the audit log keeps only a keyed pseudonym
            details={"request_id": req.id},
        )
        out = erasure.request_read(req)
    tasks.add_task(_run_quietly, runtime, req.id)
    return out


async def _run_quietly(runtime: ErasureDeps, request_id: str) -> None:
    try:
        await erasure.run_erasure(runtime, request_id)
    except Exception:  # recorded on the request; the scheduled job retries
        return
    log.info("privacy.erasure_completed", request_id=request_id)


@router.get("/api/v1/privacy/erasures")
async def list_erasures(staff: PrivacyOfficer, runtime: RuntimeDep) -> list[dict[str, Any]]:
    async with runtime.sessions() as session:
        return [
            erasure.request_read(r)
            for r in await erasure.list_requests(session, staff.workspace_id)
        ]


@router.get("/api/v1/privacy/erasures/{request_id}")
async def get_erasure(
    request_id: str, staff: PrivacyOfficer, runtime: RuntimeDep
) -> dict[str, Any]:
    async with runtime.sessions() as session:
        req = await erasure.get_request(session, staff.workspace_id, request_id)
        if req is None:
            raise NotFound("Erasure request not found.")
        return erasure.request_read(req)


class ConsentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    consents: dict[str, bool] = Field(
        description=f"Purpose -> granted; purposes: {', '.join(PURPOSES)}.",
        min_length=1,
    )
    source: str = Field(
        default="staff",
        min_length=1,
        max_length=100,
        description='Where the customer gave or withdrew it, e.g. "web form", "phone call".',
    )


@router.get("/api/v1/customers/{customer_id}/consents")
async def get_consents(
    customer_id: str, staff: ConsentKeeper, runtime: RuntimeDep
) -> dict[str, Any]:
    async with runtime.sessions() as session:
        customer = await _customer(session, staff, customer_id)
        return _consents_read(customer)


@router.put("/api/v1/customers/{customer_id}/consents")
async def put_consents(
    customer_id: str, body: ConsentUpdate, staff: ConsentKeeper, runtime: RuntimeDep
) -> dict[str, Any]:
    """Record consents given or withdrawn (each with the time and the source)."""
    async with transaction(runtime.sessions) as session:
        customer = await _customer(session, staff, customer_id)
        customer.consents = updated_consents(
            customer.consents,
            body.consents,
            source=f"{body.source} (recorded by {staff.agent_id})",
            at=utcnow(),
        )
        await session.flush()
        # the CRM gets each consent its rule lets hybridcx own (an outbox row)
        await enqueue_customer_push(
            session, staff.workspace_id, customer.id, [f"{p}_consent" for p in body.consents]
        )
        return _consents_read(customer)


def _consents_read(customer: Customer) -> dict[str, Any]:
    return {
        "customer_id": customer.id,
        "consents": [c.to_dict() for c in read_consents(customer.consents).values()],
    }
