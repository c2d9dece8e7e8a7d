"""All SQL for customer identities and merges. Values are looked up by their blind index
(``session_keyring(session).blind_index(normalised value)``), never by the sealed column."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.kit.normalize import normalize_email, normalize_phone
from hybridcx.kit.sealed import session_keyring
from hybridcx.models import Conversation, Customer, CustomerIdentity, CustomerMerge

KINDS = ("email", "phone", "external", "crm")


def normalize(kind: str, value: str) -> str:
    if kind == "email":
        return normalize_email(value)
    if kind == "phone":
        return normalize_phone(value)
    return value.strip()


def blind(session: AsyncSession, kind: str, value: str) -> str:
    """The lookup hash of one identity. Emails and phones share the customers table's index
    (so a customer's own email column and an identity row of it have the same hash)."""
    text = normalize(kind, value)
    return session_keyring(session).blind_index(
        text if kind in ("email", "phone") else f"{kind}:{text}"
    )


async def survivor_id(session: AsyncSession, customer_id: str) -> str:
    """The customer this one was merged into (following chains), or itself."""
    seen = {customer_id}
    current = customer_id
    for _ in range(20):
        stmt = select(CustomerMerge.survivor_id).where(
            CustomerMerge.merged_id == current, CustomerMerge.status == "merged"
        )
        nxt = (await session.execute(stmt.limit(1))).scalar_one_or_none()
        if nxt is None or nxt in seen:
            return current
        seen.add(nxt)
        current = nxt
    return current


async def follow_merges(session: AsyncSession, customer: Customer | None) -> Customer | None:
    """A customer merged into another stands for the one it was merged into."""
    if customer is None:
        return None
    target = await survivor_id(session, customer.id)
    if target == customer.id:
        return customer
    return await session.get(Customer, target) or customer


async def holders(
    session: AsyncSession,
    workspace_id: str,
    kind: str,
    value_hash: str,
    *,
    trusted_only: bool = False,
) -> list[str]:
    """Customers (after merges, unerased) that have this identity, oldest first.
    ``trusted_only``: identity rows count only when verified or brought by a merge."""
    ids: list[str] = []
    if kind in ("email", "phone"):
        column = Customer.email_hash if kind == "email" else Customer.phone_hash
        stmt = select(Customer.id).where(
            Customer.workspace_id == workspace_id, column == value_hash
        )
        ids += list((await session.execute(stmt)).scalars())
    stmt2 = select(CustomerIdentity.customer_id).where(
        CustomerIdentity.workspace_id == workspace_id,
        CustomerIdentity.kind == kind,
        CustomerIdentity.value_hash == value_hash,
    )
    if trusted_only:
        stmt2 = stmt2.where(
            or_(CustomerIdentity.verified.is_(True), CustomerIdentity.merge_id.is_not(None))
        )
    ids += list((await session.execute(stmt2)).scalars())
    found: list[str] = []
    for cid in ids:
        target = await survivor_id(session, cid)
        if target not in found:
            found.append(target)
    if not found:
        return []
    rows = await session.execute(
        select(Customer.id)
        .where(Customer.id.in_(found), Customer.erased_at.is_(None))
        .order_by(Customer.created_at, Customer.id)
    )
    return list(rows.scalars())


async def find_by_identity(
    session: AsyncSession, workspace_id: str, kind: str, value: str
) -> Customer | None:
    """The (surviving) customer a verified identity (or one a merge brought) names, for the
    lookups the customers' own columns miss. Unverified claims never route a contact."""
    value_hash = blind(session, kind, value)
    found = await holders(session, workspace_id, kind, value_hash, trusted_only=True)
    return await session.get(Customer, found[0]) if found else None


async def identities_of(session: AsyncSession, customer_id: str) -> list[CustomerIdentity]:
    stmt = (
        select(CustomerIdentity)
        .where(CustomerIdentity.customer_id == customer_id)
        .order_by(CustomerIdentity.created_at, CustomerIdentity.id)
    )
    return list((await session.execute(stmt)).scalars())


async def merges_touching(session: AsyncSession, customer_id: str) -> list[CustomerMerge]:
    stmt = (
        select(CustomerMerge)
        .where(
            or_(CustomerMerge.survivor_id == customer_id, CustomerMerge.merged_id == customer_id)
        )
        .order_by(CustomerMerge.created_at, CustomerMerge.id)
    )
    return list((await session.execute(stmt)).scalars())


async def open_pair(
    session: AsyncSession, workspace_id: str, a: str, b: str
) -> CustomerMerge | None:
    """A proposal (or a dismissal) already recorded for these two customers."""
    stmt = select(CustomerMerge).where(
        CustomerMerge.workspace_id == workspace_id,
        CustomerMerge.status.in_(("proposed", "dismissed")),
        or_(
            (CustomerMerge.survivor_id == a) & (CustomerMerge.merged_id == b),
            (CustomerMerge.survivor_id == b) & (CustomerMerge.merged_id == a),
        ),
    )
    return (await session.execute(stmt.limit(1))).scalar_one_or_none()


async def proposals(session: AsyncSession, workspace_id: str) -> list[CustomerMerge]:
    stmt = (
        select(CustomerMerge)
        .where(CustomerMerge.workspace_id == workspace_id, CustomerMerge.status == "proposed")
        .order_by(CustomerMerge.created_at, CustomerMerge.id)
        .limit(200)
    )
    return list((await session.execute(stmt)).scalars())


async def shared_phone_groups(session: AsyncSession, workspace_id: str) -> list[list[str]]:
    """Customers of the workspace who share a phone number (unverified matches)."""
    stmt = (
        select(Customer.phone_hash)
        .where(
            Customer.workspace_id == workspace_id,
            Customer.phone_hash.is_not(None),
            Customer.erased_at.is_(None),
        )
        .group_by(Customer.phone_hash)
        .having(func.count() > 1)
        .limit(100)
    )
    groups = []
    for value_hash in (await session.execute(stmt)).scalars():
        rows = await session.execute(
            select(Customer.id)
            .where(Customer.workspace_id == workspace_id, Customer.phone_hash == value_hash)
            .order_by(Customer.created_at, Customer.id)
        )
        groups.append(list(rows.scalars()))
    return groups


async def conversations_of(
    session: AsyncSession, workspace_id: str, customer_id: str, *, limit: int = 100
) -> list[Conversation]:
    stmt = (
        select(Conversation)
        .where(Conversation.workspace_id == workspace_id, Conversation.customer_id == customer_id)
        .order_by(Conversation.created_at.desc(), Conversation.id)
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())
