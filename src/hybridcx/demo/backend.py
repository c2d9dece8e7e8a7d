"""The demo company's systems behind the CompanyBackend protocol (what a real adapter replaces).

It shares the turn's database session, so whatever a flow does commits or rolls back with the
turn that did it.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.customers.repository import find_customer_by_email
from hybridcx.flows.backend import Account, Order, Slot, SlotTaken
from hybridcx.integrations.outbound import enqueue_customer_push
from hybridcx.kit.ids import hash_token, new_id, utcnow
from hybridcx.models import Customer, DemoAccount, DemoAppointmentSlot, DemoOrder, DemoOutbox

CODE_TTL = timedelta(minutes=10)
#: An order whose payment was declined: not shipped until paid (the failed-payment signal).
PAYMENT_FAILED = "payment_failed"


class DemoBackend:
    def __init__(self, session: AsyncSession, workspace_id: str) -> None:
        self.session = session
        self.workspace_id = workspace_id

    async def _customer(self, email: str) -> Customer | None:
        return await find_customer_by_email(self.session, self.workspace_id, email)

    async def orders_for(self, email: str) -> list[Order]:
        customer = await self._customer(email)
        if customer is None:
            return []
        stmt = (
            select(DemoOrder)
            .where(
                DemoOrder.workspace_id == self.workspace_id, DemoOrder.customer_id == customer.id
            )
            .order_by(DemoOrder.placed_at.desc())
        )
        return [_order(o) for o in (await self.session.execute(stmt)).scalars()]

    async def order(self, number: str) -> tuple[Order, str] | None:
        stmt = (
            select(DemoOrder, Customer.email)
            .join(Customer, Customer.id == DemoOrder.customer_id)
            .where(DemoOrder.workspace_id == self.workspace_id, DemoOrder.number == number)
        )
        row = (await self.session.execute(stmt)).first()
        return (_order(row[0]), row[1] or "") if row else None  # phone-only: no email

    async def account_for(self, email: str) -> Account | None:
        customer = await self._customer(email)
        if customer is None:
            return None
        stmt = select(DemoAccount).where(DemoAccount.customer_id == customer.id)
        acc = (await self.session.execute(stmt)).scalars().first()
        return Account(acc.account_number, acc.status, acc.plan, acc.balance) if acc else None

    async def send_password_reset(self, email: str) -> bool:
        if await self._customer(email) is None:
            return False
        token = secrets.token_urlsafe(24)
        self._send(
            email,
            "password_reset",
            f"Reset your Northwind password: https://northwind.example/reset?token={token} (valid 30 minutes)",
            secret=token,
            ttl=timedelta(minutes=30),
        )
        return True

    async def send_verification_code(self, email: str) -> bool:
        if await self._customer(email) is None:
            return False
        code = f"{secrets.randbelow(10**6):06d}"
        self._send(
            email,
            "verification_code",
            f"Your Northwind verification code is {code}",
            secret=code,
            ttl=CODE_TTL,
        )
        return True

    async def check_verification_code(self, email: str, code: str) -> bool:
        if not code:
            return False
        stmt = (
            update(DemoOutbox)
            .where(
                DemoOutbox.workspace_id == self.workspace_id,
                DemoOutbox.to_email == email.strip().lower(),
                DemoOutbox.kind == "verification_code",
                DemoOutbox.secret_hash == hash_token(code),
                DemoOutbox.used.is_(False),
                DemoOutbox.expires_at > utcnow(),
            )
            .values(used=True)
            .execution_options(synchronize_session=False)
        )
        return ((await self.session.execute(stmt)).rowcount or 0) > 0  # type: ignore[attr-defined]

    async def late_orders(self, today: date) -> list[tuple[Order, str]]:
        """Orders not delivered yet whose promised date is before ``today``, with the owner's
        email (the late-shipment signal)."""
        stmt = (
            select(DemoOrder, Customer.email)
            .join(Customer, Customer.id == DemoOrder.customer_id)
            .where(
                DemoOrder.workspace_id == self.workspace_id,
                DemoOrder.status.in_(("processing", "shipped")),
                DemoOrder.expected_delivery < today,
            )
            .order_by(DemoOrder.number)
        )
        return [(_order(o), email or "") for o, email in (await self.session.execute(stmt)).all()]

    async def failed_payments(self, now: datetime) -> list[tuple[str, str]]:
        """Orders whose payment failed (status ``payment_failed``), as (order number, owner's
        email): the failed-payment signal."""
        stmt = (
            select(DemoOrder.number, Customer.email)
            .join(Customer, Customer.id == DemoOrder.customer_id)
            .where(
                DemoOrder.workspace_id == self.workspace_id,
                DemoOrder.status == PAYMENT_FAILED,
            )
            .order_by(DemoOrder.number)
        )
        return [(n, email or "") for n, email in (await self.session.execute(stmt)).all()]

    async def appointments_between(self, start: datetime, end: datetime) -> list[tuple[Slot, str]]:
        """Booked appointments starting in [start, end), with the customer's email."""
        stmt = (
            select(DemoAppointmentSlot, Customer.email)
            .join(Customer, Customer.id == DemoAppointmentSlot.customer_id)
            .where(
                DemoAppointmentSlot.workspace_id == self.workspace_id,
                DemoAppointmentSlot.starts_at >= start,
                DemoAppointmentSlot.starts_at < end,
            )
            .order_by(DemoAppointmentSlot.starts_at)
        )
        return [(_slot(s), email or "") for s, email in (await self.session.execute(stmt)).all()]

    async def free_slots(self, *, after: datetime, limit: int) -> list[Slot]:
        stmt = (
            select(DemoAppointmentSlot)
            .where(
                DemoAppointmentSlot.workspace_id == self.workspace_id,
                DemoAppointmentSlot.customer_id.is_(None),
                DemoAppointmentSlot.starts_at > after,
            )
            .order_by(DemoAppointmentSlot.starts_at, DemoAppointmentSlot.location)
            .limit(limit)
        )
        return [_slot(s) for s in (await self.session.execute(stmt)).scalars()]

    async def appointments_for(self, email: str, *, after: datetime) -> list[Slot]:
        customer = await self._customer(email)
        if customer is None:
            return []
        stmt = (
            select(DemoAppointmentSlot)
            .where(
                DemoAppointmentSlot.customer_id == customer.id,
                DemoAppointmentSlot.starts_at > after,
            )
            .order_by(DemoAppointmentSlot.starts_at)
        )
        return [_slot(s) for s in (await self.session.execute(stmt)).scalars()]

    async def book(self, slot_id: str, email: str) -> Slot:
        customer = await self._customer(email)
        if customer is None:
            raise SlotTaken(slot_id)
        # Conditional update: of two customers booking the same slot, one wins.
        result = await self.session.execute(
            update(DemoAppointmentSlot)
            .where(
                DemoAppointmentSlot.id == slot_id,
                DemoAppointmentSlot.workspace_id == self.workspace_id,
                DemoAppointmentSlot.customer_id.is_(None),
            )
            .values(customer_id=customer.id)
            .execution_options(synchronize_session=False)
        )
        if (result.rowcount or 0) != 1:  # type: ignore[attr-defined]
            raise SlotTaken(slot_id)
        row = (
            await self.session.execute(
                select(DemoAppointmentSlot).where(DemoAppointmentSlot.id == slot_id)
            )
        ).scalar_one()
        return _slot(row)

    async def cancel(self, slot_id: str, email: str) -> bool:
        customer = await self._customer(email)
        if customer is None:
            return False
        result = await self.session.execute(
            update(DemoAppointmentSlot)
            .where(
                DemoAppointmentSlot.id == slot_id, DemoAppointmentSlot.customer_id == customer.id
            )
            .values(customer_id=None)
            .execution_options(synchronize_session=False)
        )
        return (result.rowcount or 0) == 1  # type: ignore[attr-defined]

    async def cancel_order(self, number: str, email: str) -> bool:
        customer = await self._customer(email)
        if customer is None:
            return False
        result = await self.session.execute(
            update(DemoOrder)
            .where(
                DemoOrder.workspace_id == self.workspace_id,
                DemoOrder.number == number,
                DemoOrder.customer_id == customer.id,
                DemoOrder.status.in_(("processing", "shipped")),
            )
            .values(status="cancelled")
            .execution_options(synchronize_session=False)
        )
        return (result.rowcount or 0) == 1  # type: ignore[attr-defined]

    async def update_contact(self, email: str, field: str, value: str) -> bool:
        customer = await self._customer(email)
        if customer is None or field not in ("phone", "name"):
            return False
        setattr(customer, field, value)
        # the AI changed hybridcx's customer: the CRM gets it (its rules permitting), in the
        # transaction of the change
        await enqueue_customer_push(self.session, self.workspace_id, customer.id, [field])
        return True

    async def refund(self, number: str, email: str, amount: float) -> str:
        reference = f"RF-{secrets.token_hex(4).upper()}"
        self._send(
            email,
            "refund",
            f"We have refunded ${amount:.2f} for order {number} (reference {reference}). "
            "It reaches your account in 3-5 business days.",
            secret=reference,
            ttl=timedelta(days=365),
        )
        return reference

    async def send_replacement(self, number: str, email: str) -> str:
        found = await self.order(number)
        if found is None or found[1].lower() != email.strip().lower():
            return ""
        reference = f"RP-{secrets.token_hex(4).upper()}"
        self._send(
            email,
            "replacement",
            f"A replacement for order {number} is on its way (reference {reference}).",
            secret=reference,
            ttl=timedelta(days=365),
        )
        return reference

    def _send(self, email: str, kind: str, body: str, *, secret: str, ttl: timedelta) -> None:
        now = utcnow()
        self.session.add(
            DemoOutbox(
                id=new_id(),
                workspace_id=self.workspace_id,
                to_email=email.strip().lower(),
                kind=kind,
                body=body,
                secret_hash=hash_token(secret),
                expires_at=now + ttl,
                created_at=now,
            )
        )


def _order(o: DemoOrder) -> Order:
    return Order(
        o.number,
        o.status,
        o.carrier,
        o.tracking_number,
        o.expected_delivery,
        o.placed_at,
        total=o.total,
    )


def _slot(s: DemoAppointmentSlot) -> Slot:
    return Slot(s.id, s.starts_at, s.location)
