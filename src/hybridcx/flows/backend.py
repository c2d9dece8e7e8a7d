"""What flows need from the company's own systems, behind one Protocol.

The demo company implements it in ``hybridcx.demo.backend``; a real deployment plugs in an
adapter that calls its order system and CRM.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from hybridcx.kit.errors import AppError


@dataclass(frozen=True)
class Order:
    number: str
    status: str
    carrier: str | None
    tracking_number: str | None
    expected_delivery: date | None
    placed_at: datetime
    total: float = 0.0


@dataclass(frozen=True)
class Account:
    account_number: str
    status: str
    plan: str
    balance: float


@dataclass(frozen=True)
class Slot:
    id: str
    starts_at: datetime
    location: str


class SlotTaken(Exception):
    """The slot was booked by someone else in the meantime."""


class BackendUnavailable(AppError):
    """The company's system did not answer usably (timeout, refused, 5xx, circuit open).

    A flow that meets it tells the customer honestly and hands the conversation to a person
    (``hybridcx.pipeline.steps.flow``); anywhere else it is a 503 with this message."""

    status_code = 503
    code = "backend_unavailable"

    def __init__(self, connector: str, detail: str) -> None:
        super().__init__(f"The company system {connector!r} is not available: {detail}.")
        self.connector = connector
        self.detail = detail


class NotSupported(BackendUnavailable):
    """The connected system has no way to do this (for example a shop has no appointments)."""

    status_code = 501
    code = "not_supported"


class CompanyBackend(Protocol):
    """The company's systems, as flows see them. Every call is scoped to one customer email."""

    async def orders_for(self, email: str) -> list[Order]: ...

    async def order(self, number: str) -> tuple[Order, str] | None:
        """The order and the email of the customer it belongs to."""
        ...

    async def account_for(self, email: str) -> Account | None: ...

    async def send_password_reset(self, email: str) -> bool:
        """Send a reset link to the email on file; False if there is no such customer."""
        ...

    async def send_verification_code(self, email: str) -> bool: ...

    async def check_verification_code(self, email: str, code: str) -> bool: ...

    async def free_slots(self, *, after: datetime, limit: int) -> list[Slot]: ...

    async def appointments_for(self, email: str, *, after: datetime) -> list[Slot]: ...

    async def book(self, slot_id: str, email: str) -> Slot:
        """Book a free slot; raises SlotTaken if it is gone."""
        ...

    async def cancel(self, slot_id: str, email: str) -> bool: ...

    async def cancel_order(self, number: str, email: str) -> bool:
        """Cancel an open order of this customer; False if it is not theirs or not open."""
        ...

    async def update_contact(self, email: str, field: str, value: str) -> bool:
        """Change the customer's ``phone`` or ``name``; False if there is no such customer."""
        ...

    async def refund(self, number: str, email: str, amount: float) -> str:
        """Refund ``amount`` for the order to the customer; returns the refund reference."""
        ...

    async def send_replacement(self, number: str, email: str) -> str:
        """Ship the order's items again to the customer; returns the replacement reference
        ("" if the order is not theirs)."""
        ...
