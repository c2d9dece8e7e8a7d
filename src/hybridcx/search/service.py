"""Staff search over conversations and customers, with cursor paging.

Filters are SQL over plain columns, plus the keyed blind index (``search_tokens``) for the
words of messages and customer names, and the existing email/phone blind indexes for exact
addresses. Pages are keyset pages: the opaque cursor carries the last row's sort value and id,
so inserts between two requests neither repeat nor skip a row (new rows sort before the cursor
in the newest-first order), whatever the page size."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from hybridcx.auth import permissions
from hybridcx.auth.service import StaffPrincipal
from hybridcx.conversations.schemas import conversation_state, customer_read
from hybridcx.kit.blind_index import query_tokens
from hybridcx.kit.errors import InvalidInput
from hybridcx.kit.normalize import normalize_email, normalize_phone
from hybridcx.kit.sealed import session_keyring
from hybridcx.kit.time import iso
from hybridcx.models import Conversation, ConversationTag, Customer, CustomerTag, SearchToken

DEFAULT_LIMIT = 200  # what the conversation list returned before it had pages
MAX_LIMIT = 500
MAX_QUERY_WORDS = 10
Sort = Literal["updated", "created"]
_PHONE = re.compile(r"^\+?[\d\s().-]{6,}$")


@dataclass
class ConversationFilters:
    q: str | None = None
    customer_id: str | None = None
    customer: str | None = None  # an email, a phone number or words of a name
    status: str | None = None
    tier: int | None = None
    channel: str | None = None
    tags: list[str] = field(default_factory=list)
    agent_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    intent: str | None = None


# ---- the cursor -----------------------------------------------------------------------------


def encode_cursor(sort: str, value: datetime, row_id: str) -> str:
    raw = json.dumps([sort, value.isoformat(), row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        kind, value, row_id = json.loads(raw)
        if kind != sort or not isinstance(row_id, str):
            raise ValueError
        return datetime.fromisoformat(value), row_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput(
            "Invalid cursor: pass the next_cursor of the previous page, with the same sort."
        ) from None


def _naive_utc(dt: datetime | None) -> datetime | None:
    if dt is None or dt.tzinfo is None:
        return dt
    return dt.astimezone(UTC).replace(tzinfo=None)


def _limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}.")
    return limit


def _keyset(col: Any, id_col: Any, cursor: str | None, sort: str) -> ColumnElement[bool] | None:
    if not cursor:
        return None
    value, row_id = decode_cursor(cursor, sort)
    return or_(col < value, and_(col == value, id_col < row_id))


# ---- words ----------------------------------------------------------------------------------


def _words(session: AsyncSession, workspace_id: str, text: str) -> list[str]:
    tokens = query_tokens(session_keyring(session), workspace_id, text)
    if len(tokens) > MAX_QUERY_WORDS:
        raise InvalidInput(f"Search for at most {MAX_QUERY_WORDS} words at a time.")
    return tokens


def _customers_named(workspace_id: str, token: str) -> Any:
    return select(SearchToken.customer_id).where(
        SearchToken.workspace_id == workspace_id,
        SearchToken.token == token,
        SearchToken.customer_id.is_not(None),
    )


def _customer_match(session: AsyncSession, workspace_id: str, text: str) -> ColumnElement[bool]:
    """Customers by exact email, exact phone number, or every word of the name."""
    text = text.strip()
    ring = session_keyring(session)
    if "@" in text:
        return Customer.email_hash == ring.blind_index(normalize_email(text))
    if _PHONE.match(text):
        return Customer.phone_hash == ring.blind_index(normalize_phone(text))
    tokens = _words(session, workspace_id, text)
    if not tokens:
        raise InvalidInput("Search for a name, an email address or a phone number.")
    return and_(*(Customer.id.in_(_customers_named(workspace_id, t)) for t in tokens))


# ---- conversations --------------------------------------------------------------------------


async def search_conversations(
    session: AsyncSession,
    staff: StaffPrincipal,
    filters: ConversationFilters,
    *,
    sort: Sort = "updated",
    limit: int | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    """A page of the conversations this staff member may see, newest first."""
    n = _limit(limit)
    ws = staff.workspace_id
    col = Conversation.updated_at if sort == "updated" else Conversation.created_at
    stmt = (
        select(Conversation, Customer)
        .join(Customer, Customer.id == Conversation.customer_id)
        .where(Conversation.workspace_id == ws, permissions.visible_conversations(staff))
    )
    f = filters
    if f.q:
        tokens = _words(session, ws, f.q)
        if not tokens:
            raise InvalidInput("Search for words of two or more letters or digits.")
        for t in tokens:  # every word, in a message of the conversation or the customer's name
            in_messages = select(SearchToken.conversation_id).where(
                SearchToken.workspace_id == ws,
                SearchToken.token == t,
                SearchToken.conversation_id.is_not(None),
            )
            stmt = stmt.where(
                or_(
                    Conversation.id.in_(in_messages),
                    Conversation.customer_id.in_(_customers_named(ws, t)),
                )
            )
    if f.customer_id:
        stmt = stmt.where(Conversation.customer_id == f.customer_id)
    if f.customer:
        stmt = stmt.where(_customer_match(session, ws, f.customer))
    if f.status:
        stmt = stmt.where(Conversation.status == f.status)
    if f.tier is not None:
        stmt = stmt.where(Conversation.tier == f.tier)
    if f.channel:
        stmt = stmt.where(Conversation.channel == f.channel)
    stmt = stmt.where(tagged(Conversation.workspace_id == ws, ws, f.tags))
    if f.agent_id:
        stmt = stmt.where(Conversation.assigned_agent_id == f.agent_id)
    since, until = _naive_utc(f.since), _naive_utc(f.until)
    if since and until and since > until:
        raise InvalidInput("since must not be after until.")
    if since:
        stmt = stmt.where(Conversation.created_at >= since)
    if until:
        stmt = stmt.where(Conversation.created_at < until)
    if f.intent:
        stmt = stmt.where(Conversation.routing["intent"].as_string() == f.intent)
    page = _keyset(col, Conversation.id, cursor, sort)
    if page is not None:
        stmt = stmt.where(page)
    stmt = stmt.order_by(col.desc(), Conversation.id.desc()).limit(n + 1)
    rows = [(c, cu) for c, cu in (await session.execute(stmt)).all()]
    more = len(rows) > n
    rows = rows[:n]
    tags = await tags_of(session, [c.id for c, _ in rows])
    last = rows[-1][0] if rows else None
    return {
        "items": [_conversation_item(c, cu, tags.get(c.id, [])) for c, cu in rows],
        "next_cursor": encode_cursor(
            sort, last.updated_at if sort == "updated" else last.created_at, last.id
        )
        if more and last is not None
        else None,
    }


async def tags_of(session: AsyncSession, ids: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if not ids:
        return out
    stmt = (
        select(ConversationTag.conversation_id, ConversationTag.tag)
        .where(ConversationTag.conversation_id.in_(list(ids)))
        .order_by(ConversationTag.tag)
    )
    for cid, tag in (await session.execute(stmt)).all():
        out.setdefault(cid, []).append(tag)
    return out


def _conversation_item(conv: Conversation, cust: Customer, tags: list[str]) -> dict[str, Any]:
    """What the conversation list always returned, plus created_at, intent and tags."""
    return {
        **conversation_state(conv),
        "channel": conv.channel,
        "customer": {
            "id": cust.id,
            "name": cust.name,
            "email": cust.email,
            "phone": cust.phone,
            "vip": cust.vip,
        },
        "assigned_agent_id": conv.assigned_agent_id,
        "updated_at": iso(conv.updated_at),
        "created_at": iso(conv.created_at),
        "intent": (conv.routing or {}).get("intent"),
        "tags": tags,
    }


def tagged(clause: Any, workspace_id: str, tags: Sequence[str]) -> Any:
    """``clause`` and: the conversation has every one of ``tags``."""
    for tag in tags:
        with_tag = select(ConversationTag.conversation_id).where(
            ConversationTag.workspace_id == workspace_id,
            ConversationTag.tag == tag.strip().lower(),
        )
        clause = and_(clause, Conversation.id.in_(with_tag))
    return clause


# ---- customers ------------------------------------------------------------------------------


def _visible_customers(staff: StaffPrincipal) -> Any:
    """Agents see the customers of the conversations they may see (as the customer overview)."""
    return select(Conversation.customer_id).where(permissions.visible_conversations(staff))


async def customer_visible(session: AsyncSession, staff: StaffPrincipal, customer_id: str) -> bool:
    if permissions.can(staff, permissions.Perm.CONVERSATIONS_SUPERVISE):
        return True
    stmt = _visible_customers(staff).where(Conversation.customer_id == customer_id).limit(1)
    return (await session.execute(stmt)).first() is not None


async def search_customers(
    session: AsyncSession,
    staff: StaffPrincipal,
    *,
    q: str | None = None,
    tags: Sequence[str] = (),
    vip: bool | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    """A page of the workspace's customers (not erased), newest first."""
    n = _limit(limit)
    ws = staff.workspace_id
    stmt = select(Customer).where(Customer.workspace_id == ws, Customer.erased_at.is_(None))
    if not permissions.can(staff, permissions.Perm.CONVERSATIONS_SUPERVISE):
        stmt = stmt.where(Customer.id.in_(_visible_customers(staff)))
    if q and q.strip():
        stmt = stmt.where(_customer_match(session, ws, q))
    for tag in tags:
        tagged = select(CustomerTag.customer_id).where(
            CustomerTag.workspace_id == ws, CustomerTag.tag == tag.strip().lower()
        )
        stmt = stmt.where(Customer.id.in_(tagged))
    if vip is not None:
        stmt = stmt.where(Customer.vip.is_(vip))
    page = _keyset(Customer.created_at, Customer.id, cursor, "customers")
    if page is not None:
        stmt = stmt.where(page)
    stmt = stmt.order_by(Customer.created_at.desc(), Customer.id.desc()).limit(n + 1)
    rows = list((await session.execute(stmt)).scalars())
    more = len(rows) > n
    rows = rows[:n]
    ctags: dict[str, list[str]] = {}
    if rows:
        tstmt = (
            select(CustomerTag.customer_id, CustomerTag.tag)
            .where(CustomerTag.customer_id.in_([c.id for c in rows]))
            .order_by(CustomerTag.tag)
        )
        for cid, tag in (await session.execute(tstmt)).all():
            ctags.setdefault(cid, []).append(tag)
    last = rows[-1] if rows else None
    return {
        "items": [
            {**customer_read(c), "created_at": iso(c.created_at), "tags": ctags.get(c.id, [])}
            for c in rows
        ],
        "next_cursor": encode_cursor("customers", last.created_at, last.id)
        if more and last is not None
        else None,
    }
