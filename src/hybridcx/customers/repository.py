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


# ---- channels: customers known by phone (SMS, calls) as well as by email --------------------


def normalize_phone(raw: str, default_region: str | None = None) -> str | None:
    """E.164 (``+14155550132``) for anything that parses as a possible number, else None.

    Providers such as Twilio already send E.164; people type every other shape."""
    import phonenumbers

    text = (raw or "").strip()
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


async def find_customer_by_phone(
    session: AsyncSession, workspace_id: str, phone: str
) -> Customer | None:
    """The workspace's customer with this phone number (E.164), oldest first if several."""
    normalized = normalize_phone(phone) or phone.strip()
    stmt = (
        select(Customer)
        .where(Customer.workspace_id == workspace_id, Customer.phone == normalized)
        .order_by(Customer.created_at)
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


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
    normalized_phone = normalize_phone(phone) if phone else None
    customer = await get_by_email(session, workspace_id, email) if email else None
    if customer is None and normalized_phone:
        customer = await find_customer_by_phone(session, workspace_id, normalized_phone)
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
