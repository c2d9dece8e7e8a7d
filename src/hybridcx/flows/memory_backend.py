"""An in-memory CompanyBackend: for unit tests and for trying flows without a database."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from hybridcx.flows.backend import Account, Order, Slot, SlotTaken


@dataclass
class MemoryBackend:
    orders: dict[str, tuple[Order, str]] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    slots: dict[str, tuple[Slot, str | None]] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)
    sent: list[tuple[str, str]] = field(default_factory=list)  # (email, kind)
    next_code: str = "123456"
    refunds: list[tuple[str, str, float]] = field(default_factory=list)  # (number, email, amount)
    contacts: dict[str, dict[str, str]] = field(default_factory=dict)  # email -> changed fields
    replacements: list[tuple[str, str]] = field(default_factory=list)  # (number, email)

    async def orders_for(self, email: str) -> list[Order]:
        return [o for o, owner in self.orders.values() if owner == email.lower()]

    async def order(self, number: str) -> tuple[Order, str] | None:
        return self.orders.get(number)

    async def account_for(self, email: str) -> Account | None:
        return self.accounts.get(email.lower())

    async def send_password_reset(self, email: str) -> bool:
        if email.lower() not in self.accounts:
            return False
        self.sent.append((email.lower(), "password_reset"))
        return True

    async def send_verification_code(self, email: str) -> bool:
        if email.lower() not in self.accounts:
            return False
        self.codes[email.lower()] = self.next_code
        self.sent.append((email.lower(), "verification_code"))
        return True

    async def check_verification_code(self, email: str, code: str) -> bool:
        return bool(code) and self.codes.get(email.lower()) == code

    async def late_orders(self, today: date) -> list[tuple[Order, str]]:
        return [
            (o, owner)
            for o, owner in self.orders.values()
            if o.status in ("processing", "shipped")
            and o.expected_delivery is not None
            and o.expected_delivery < today
        ]

    async def failed_payments(self, now: datetime) -> list[tuple[str, str]]:
        return sorted(
            (o.number, owner) for o, owner in self.orders.values() if o.status == "payment_failed"
        )

    async def appointments_between(self, start: datetime, end: datetime) -> list[tuple[Slot, str]]:
        return sorted(
            ((s, who) for s, who in self.slots.values() if who and start <= s.starts_at < end),
            key=lambda p: p[0].starts_at,
        )

    async def free_slots(self, *, after: datetime, limit: int) -> list[Slot]:
        free = sorted(
            (s for s, who in self.slots.values() if who is None and s.starts_at > after),
            key=lambda s: s.starts_at,
        )
        return free[:limit]

    async def appointments_for(self, email: str, *, after: datetime) -> list[Slot]:
        return sorted(
            (s for s, who in self.slots.values() if who == email.lower() and s.starts_at > after),
            key=lambda s: s.starts_at,
        )

    async def book(self, slot_id: str, email: str) -> Slot:
        slot, who = self.slots[slot_id]
        if who is not None:
            raise SlotTaken(slot_id)
        self.slots[slot_id] = (slot, email.lower())
        return slot

    async def cancel(self, slot_id: str, email: str) -> bool:
        slot, who = self.slots.get(slot_id, (None, None))
        if slot is None or who != email.lower():
            return False
        self.slots[slot_id] = (slot, None)
        return True

    async def cancel_order(self, number: str, email: str) -> bool:
        found = self.orders.get(number)
        if found is None or found[1] != email.lower() or found[0].status not in OPEN:
            return False
        self.orders[number] = (replace(found[0], status="cancelled"), found[1])
        return True

    async def update_contact(self, email: str, field: str, value: str) -> bool:
        if email.lower() not in self.accounts or field not in ("phone", "name"):
            return False
        self.contacts.setdefault(email.lower(), {})[field] = value
        return True

    async def refund(self, number: str, email: str, amount: float) -> str:
        self.refunds.append((number, email.lower(), amount))
        self.sent.append((email.lower(), "refund"))
        return f"RF-{len(self.refunds):04d}"

    async def send_replacement(self, number: str, email: str) -> str:
        found = self.orders.get(number)
        if found is None or found[1] != email.lower():
            return ""
        self.replacements.append((number, email.lower()))
        self.sent.append((email.lower(), "replacement"))
        return f"RP-{len(self.replacements):04d}"


OPEN = ("processing", "shipped")
