"""``Runtime.backend_factory``: per workspace, the connector that serves the flows, or the demo
company's tables when the workspace has none.

The factory is called once per AI turn with the turn's session; the connector is looked up on
the first backend call of the turn (a turn that never calls the backend costs nothing)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.demo.backend import DemoBackend
from hybridcx.flows.backend import Account, CompanyBackend, Order, Slot
from hybridcx.integrations import service


class WorkspaceBackend:
    def __init__(self, session: AsyncSession, workspace_id: str) -> None:
        self.session = session
        self.workspace_id = workspace_id
        self._target: Any = None

    async def target(self) -> CompanyBackend:
        if self._target is None:
            row = await service.flow_connector(self.session, self.workspace_id)
            self._target = (
                service.build(row)
                if row is not None
                else DemoBackend(self.session, self.workspace_id)
            )
        return self._target  # type: ignore[no-any-return]

    async def orders_for(self, email: str) -> list[Order]:
        return await (await self.target()).orders_for(email)

    async def order(self, number: str) -> tuple[Order, str] | None:
        return await (await self.target()).order(number)

    async def account_for(self, email: str) -> Account | None:
        return await (await self.target()).account_for(email)

    async def send_password_reset(self, email: str) -> bool:
        return await (await self.target()).send_password_reset(email)

    async def send_verification_code(self, email: str) -> bool:
        return await (await self.target()).send_verification_code(email)

    async def check_verification_code(self, email: str, code: str) -> bool:
        return await (await self.target()).check_verification_code(email, code)

    async def free_slots(self, *, after: datetime, limit: int) -> list[Slot]:
        return await (await self.target()).free_slots(after=after, limit=limit)

    async def appointments_for(self, email: str, *, after: datetime) -> list[Slot]:
        return await (await self.target()).appointments_for(email, after=after)

    async def book(self, slot_id: str, email: str) -> Slot:
        return await (await self.target()).book(slot_id, email)

    async def cancel(self, slot_id: str, email: str) -> bool:
        return await (await self.target()).cancel(slot_id, email)

    async def cancel_order(self, number: str, email: str) -> bool:
        return await (await self.target()).cancel_order(number, email)

    async def update_contact(self, email: str, field: str, value: str) -> bool:
        return await (await self.target()).update_contact(email, field, value)

    async def refund(self, number: str, email: str, amount: float) -> str:
        return await (await self.target()).refund(number, email, amount)

    async def send_replacement(self, number: str, email: str) -> str:
        return await (await self.target()).send_replacement(number, email)
