"""The demo company's own records of a customer (its orders and booked appointments), as the
GDPR export shows them. Only ``demo/`` reads the demo tables; a real company's records come
from its backend (``integrations``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.kit.time import iso
from hybridcx.models import Customer, DemoAppointmentSlot, DemoOrder


async def customer_orders(session: AsyncSession, customer: Customer) -> list[dict[str, Any]]:
    stmt = (
        select(DemoOrder)
        .where(
            DemoOrder.workspace_id == customer.workspace_id,
            DemoOrder.customer_id == customer.id,
        )
        .order_by(DemoOrder.placed_at.desc())
        .limit(20)
    )
    return [
        {
            "number": o.number,
            "status": o.status,
            "total": o.total,
            "carrier": o.carrier,
            "tracking_number": o.tracking_number,
            "expected_delivery": o.expected_delivery.isoformat() if o.expected_delivery else None,
            "placed_at": iso(o.placed_at),
            "items": [str(i.get("name", "")) for i in (o.items or [])],
        }
        for o in (await session.execute(stmt)).scalars()
    ]


async def customer_appointments(session: AsyncSession, customer: Customer) -> list[dict[str, Any]]:
    stmt = (
        select(DemoAppointmentSlot)
        .where(
            DemoAppointmentSlot.workspace_id == customer.workspace_id,
            DemoAppointmentSlot.customer_id == customer.id,
        )
        .order_by(DemoAppointmentSlot.starts_at)
        .limit(20)
    )
    return [
        {
            "starts_at": iso(s.starts_at),
            "duration_minutes": s.duration_minutes,
            "location": s.location,
        }
        for s in (await session.execute(stmt)).scalars()
    ]
