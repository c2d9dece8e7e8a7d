"""Everything held about one customer, as one JSON document (GDPR art. 15 / CCPA "right to know")."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.conversations.schemas import customer_read
from hybridcx.kit.errors import NotFound
from hybridcx.kit.ids import utcnow
from hybridcx.kit.time import iso
from hybridcx.models import Case, Conversation, ConversationEvent, Customer, ErasureRequest, Message
from hybridcx.privacy.consent import read_consents
from hybridcx.web.queries import customer_appointments, customer_orders

EXPORT_FORMAT = "hybridcx-customer-export/1"


async def export_customer(
    session: AsyncSession, workspace_id: str, customer_id: str
) -> dict[str, Any]:
    stmt = select(Customer).where(
        Customer.id == customer_id,
        Customer.workspace_id == workspace_id,
        Customer.erased_at.is_(None),
    )
    customer = (await session.execute(stmt)).scalar_one_or_none()
    if customer is None:
        raise NotFound("Customer not found.")
    convs = (
        (
            await session.execute(
                select(Conversation)
                .where(
                    Conversation.workspace_id == workspace_id,
                    Conversation.customer_id == customer.id,
                )
                .order_by(Conversation.created_at)
            )
        )
        .scalars()
        .all()
    )
    ids = [c.id for c in convs]
    messages = await _by_conversation(session, Message, ids, Message.seq)
    events = await _by_conversation(session, ConversationEvent, ids, ConversationEvent.seq)
    cases = await _by_conversation(session, Case, ids, Case.created_at)
    erasures = (
        (
            await session.execute(
                select(ErasureRequest).where(ErasureRequest.customer_ref == customer.id)
            )
        )
        .scalars()
        .all()
    )
    return {
        "format": EXPORT_FORMAT,
        "exported_at": iso(utcnow()),
        "profile": {
            **customer_read(customer),
            "created_at": iso(customer.created_at),
            "updated_at": iso(customer.updated_at),
        },
        "consents": [c.to_dict() for c in read_consents(customer.consents).values()],
        "conversations": [
            {
                "id": c.id,
                "channel": c.channel,
                "status": c.status,
                "tier": c.tier,
                "identity_verified": c.identity_verified,
                "created_at": iso(c.created_at),
                "resolved_at": iso(c.resolved_at),
                "routing": c.routing,
                "handoff": c.handoff,
                "messages": [_message(m) for m in messages.get(c.id, [])],
                "events": [_event(e) for e in events.get(c.id, [])],
            }
            for c in convs
        ],
        "cases": [
            {
                "id": k.id,
                "conversation_id": k.conversation_id,
                "question": k.question,
                "resolution": k.resolution,
                "category": k.category,
                "created_at": iso(k.created_at),
            }
            for cs in cases.values()
            for k in cs
        ],
        # No attachment storage exists yet; channels that add one list their files here.
        "attachments": [],
        "records": {
            "orders": await customer_orders(session, customer),
            "appointments": await customer_appointments(session, customer),
        },
        "erasure_requests": [
            {"id": r.id, "status": r.status, "requested_at": iso(r.requested_at)} for r in erasures
        ],
    }


async def _by_conversation(
    session: AsyncSession, model: Any, ids: list[str], order: Any
) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for i in range(0, len(ids), 500):
        stmt = select(model).where(model.conversation_id.in_(ids[i : i + 500])).order_by(order)
        for row in (await session.execute(stmt)).scalars():
            out.setdefault(row.conversation_id, []).append(row)
    return out


def _message(m: Message) -> dict[str, Any]:
    return {
        "id": m.id,
        "author": m.author,
        "text": m.text,
        "internal": m.internal,
        "created_at": iso(m.created_at),
    }


def _event(e: ConversationEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "type": e.type,
        "actor": e.actor,
        "data": e.data,
        "created_at": iso(e.created_at),
    }
