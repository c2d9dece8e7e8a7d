"""All SQL for customers. Email and phone are encrypted at rest, so every lookup by them goes
through the blind indexes here (HMAC-SHA256 of the normalised value); never filter on
``Customer.email`` or ``Customer.phone`` directly (the column holds a random-nonce envelope)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.kit.ids import new_id
from hybridcx.kit.normalize import normalize_email, normalize_phone, to_e164
from hybridcx.kit.sealed import session_keyring
from hybridcx.models import Customer
from hybridcx.profiles.repository import find_by_identity, follow_merges

__all__ = [
    "find_customer_by_email",
    "find_customer_by_phone",
    "find_or_create_customer",
    "get_by_email",
    "normalize_email",
    "normalize_phone",
    "to_e164",
]


async def find_customer_by_email(
    session: AsyncSession, workspace_id: str, email: str
) -> Customer | None:
    index = session_keyring(session).blind_index(normalize_email(email))
    stmt = select(Customer).where(
        Customer.workspace_id == workspace_id, Customer.email_hash == index
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def find_customer_by_phone(
    session: AsyncSession, workspace_id: str, phone: str
) -> Customer | None:
    """The workspace's customer with this phone number (the first, if several share it)."""
    normalized = normalize_phone(phone)
    if not normalized.strip("+"):
        return None
    index = session_keyring(session).blind_index(normalized)
    stmt = (
        select(Customer)
        .where(Customer.workspace_id == workspace_id, Customer.phone_hash == index)
        .order_by(Customer.created_at)
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


# The old name, kept for callers on other branches.
get_by_email = find_customer_by_email


async def find_or_create_customer(
    session: AsyncSession, workspace_id: str, *, email: str, name: str = ""
) -> Customer:
    """Found by email within the workspace. A chat only *claims* an email, so an existing
    customer's stored details are never overwritten from here."""
    customer, _ = await find_or_create_customer_row(session, workspace_id, email=email, name=name)
    return customer


async def find_or_create_customer_row(
    session: AsyncSession, workspace_id: str, *, email: str, name: str = ""
) -> tuple[Customer, bool]:
    """:func:`find_or_create_customer`, and whether it was created."""
    customer = await find_customer_by_email(session, workspace_id, email)
    customer = await _one_profile(session, workspace_id, customer, "email", email)
    if customer is not None:
        return customer, False
    customer = Customer(
        id=new_id(),
        workspace_id=workspace_id,
        email=normalize_email(email),
        name=name.strip(),
        consents={},
    )
    session.add(customer)
    await session.flush()
    return customer, True


# ---- channels: customers known by phone (SMS, calls) as well as by email --------------------


async def find_or_create_contact(
    session: AsyncSession,
    workspace_id: str,
    *,
    email: str | None,
    phone: str | None,
    name: str = "",
) -> tuple[Customer, bool]:
    """One customer record across channels: found by email, else by phone, else created.

    Like a chat, a channel only *claims* an address, so stored details are never overwritten;
    a new customer gets both the email and the phone it came with. Returns (customer, created).
    """
    normalized_phone = to_e164(phone) if phone else None
    customer = await get_by_email(session, workspace_id, email) if email else None
    if customer is None and normalized_phone:
        customer = await find_customer_by_phone(session, workspace_id, normalized_phone)
    if email:  # merged records and further identities lead to the one profile
        customer = await _one_profile(session, workspace_id, customer, "email", email)
    if normalized_phone:
        customer = await _one_profile(session, workspace_id, customer, "phone", normalized_phone)
    if customer is not None:
        return customer, False
    if not email and not normalized_phone:
        raise ValueError("A customer needs an email address or a phone number.")
    customer = Customer(
        id=new_id(),
        workspace_id=workspace_id,
        email=normalize_email(email) if email else None,
        phone=normalized_phone,
        name=(name or "").strip(),
        consents={},
    )
    session.add(customer)
    await session.flush()
    return customer, True


async def _one_profile(
    session: AsyncSession, workspace_id: str, customer: Customer | None, kind: str, value: str
) -> Customer | None:
    """Issue 20: a record merged into another stands for the one it was merged into; an
    address only a profile's identities know (not its own columns) finds that profile."""
    if customer is not None:
        return await follow_merges(session, customer)
    return await find_by_identity(session, workspace_id, kind, value)
