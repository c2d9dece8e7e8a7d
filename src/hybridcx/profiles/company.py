"""The desk's 360 from the company's systems: a customer's orders and appointments
read through the workspace's ``CompanyBackend`` (the demo tables, Shopify or the no-code HTTP
backend), for every email the one profile knows. A system that is down or cannot answer costs
the panel its orders, never the page: ``backend`` says what happened."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.flows.backend import BackendUnavailable, CompanyBackend, NotSupported
from hybridcx.integrations import service as integrations
from hybridcx.kit.ids import utcnow
from hybridcx.kit.time import iso
from hybridcx.models import Customer
from hybridcx.profiles import repository as repo

#: How far back the panel lists appointments.
APPOINTMENTS_SINCE = timedelta(days=365)


async def emails_of(session: AsyncSession, customer: Customer) -> list[str]:
    emails = [customer.email] if customer.email else []
    for ident in await repo.identities_of(session, customer.id):
        if ident.kind == "email" and ident.value not in emails:
            emails.append(ident.value)
    return emails


async def company_view(
    session: AsyncSession, backend: CompanyBackend, customer: Customer
) -> dict[str, Any]:
    connector = await integrations.flow_connector(session, customer.workspace_id)
    source = connector.name if connector is not None else "demo"
    orders: dict[str, dict[str, Any]] = {}
    appointments: dict[str, dict[str, Any]] = {}
    status: dict[str, Any] = {"source": source, "ok": True, "detail": None}
    after = utcnow() - APPOINTMENTS_SINCE
    for email in await emails_of(session, customer):
        try:
            for o in await backend.orders_for(email):
                orders.setdefault(
                    o.number,
                    {
                        "number": o.number,
                        "status": o.status,
                        "total": o.total,
                        "carrier": o.carrier,
                        "tracking_number": o.tracking_number,
                        "expected_delivery": (
                            o.expected_delivery.isoformat() if o.expected_delivery else None
                        ),
                        "placed_at": iso(o.placed_at),
                    },
                )
        except NotSupported:
            pass  # a system without orders: none to show
        except BackendUnavailable as exc:
            status = {"source": source, "ok": False, "detail": exc.message}
            break
        try:
            for s in await backend.appointments_for(email, after=after):
                appointments.setdefault(
                    s.id, {"id": s.id, "starts_at": iso(s.starts_at), "location": s.location}
                )
        except NotSupported:
            pass  # a shop has no appointments
        except BackendUnavailable as exc:
            status = {"source": source, "ok": False, "detail": exc.message}
            break
    return {
        "orders": sorted(orders.values(), key=lambda o: o["placed_at"] or "", reverse=True)[:20],
        "appointments": sorted(appointments.values(), key=lambda a: a["starts_at"] or "")[:20],
        "backend": status,
    }


async def connected_records(session: AsyncSession, customer: Customer) -> dict[str, Any] | None:
    """For a data export: the customer's orders and appointments from the connector that serves
    the flows, or None when the demo tables do (the export reads those itself)."""
    connector = await integrations.flow_connector(session, customer.workspace_id)
    if connector is None:
        return None
    return await company_view(session, integrations.build(connector), customer)
