from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.kit.ids import new_id
from hybridcx.models import Customer


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def get_by_email(session: AsyncSession, workspace_id: str, email: str) -> Customer | None:
    stmt = select(Customer).where(
        Customer.workspace_id == workspace_id, Customer.email == normalize_email(email)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def find_or_create_customer(
    session: AsyncSession, workspace_id: str, *, email: str, name: str = ""
) -> Customer:
    """Found by email within the workspace. A chat only *claims* an email, so an existing
    customer's stored details are never overwritten from here."""
    customer = await get_by_email(session, workspace_id, email)
    if customer is None:
        customer = Customer(
            id=new_id(),
            workspace_id=workspace_id,
            email=normalize_email(email),
            name=name.strip(),
            consents={},
        )
        session.add(customer)
        await session.flush()
    return customer
