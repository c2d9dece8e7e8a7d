"""The conversation's own stores: the customer, conversations, messages, events, past cases, KPI
facts and erasure requests."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.kit.ids import hash_token, new_token
from hybridcx.kit.sealed import SENSITIVE_EVENT_KEYS
from hybridcx.kit.time import iso
from hybridcx.models import (
    Case,
    Conversation,
    ConversationEvent,
    Customer,
    ErasureRequest,
    Message,
)
from hybridcx.privacy.consent import read_consents
from hybridcx.privacy.registry import (
    ErasureContext,
    ExportContext,
    PersonalDataStore,
    RetentionContext,
    Skip,
    register_store,
)
from hybridcx.privacy.stores._sql import chunks, delete_where_in, rows
from hybridcx.profiles.preferences import preferences_read

# ---- customers -----------------------------------------------------------------------------


async def _erase_customer(ctx: ErasureContext) -> int:
    await ctx.session.delete(ctx.customer)
    await ctx.session.flush()
    return 1


async def _export_customer(ctx: ExportContext) -> None:
    from hybridcx.conversations.schemas import customer_read

    c = ctx.customer
    ctx.document["profile"] = {
        **customer_read(c),
        "created_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
    }
    ctx.document["consents"] = [x.to_dict() for x in read_consents(c.consents).values()]
    ctx.document["preferences"] = preferences_read(c.preferences)


register_store(
    PersonalDataStore(
        "customers",
        "table",
        "name, email, phone, external id, consents, segment attributes, contact preferences",
        erase=_erase_customer,
        retain=Skip(
            "kept while the customer is; an erasure deletes it. Expired conversations keep "
            "only the customer id"
        ),
        export=_export_customer,
        order=100,
    )
)


# ---- conversations ------------------------------------------------------------------------


async def _erase_conversations(ctx: ErasureContext) -> int:
    n = 0
    for part in chunks(ctx.conversation_ids):
        result = await ctx.session.execute(
            update(Conversation)
            .where(Conversation.id.in_(part))
            .values(
                customer_id=ctx.pseudonym,
                handoff=None,
                ai_state={},
                customer_token_hash=hash_token(new_token()),
                # an SMS thread is the sender's number; email's meta holds address and subject
                thread_key=None,
                channel_meta={},
            )
            .execution_options(synchronize_session=False)
        )
        n += result.rowcount or 0  # type: ignore[attr-defined]
    return n


async def _retain_conversations(ctx: RetentionContext) -> int:
    n = 0
    for part in chunks(ctx.conversation_ids):
        result = await ctx.session.execute(
            update(Conversation)
            .where(Conversation.id.in_(part))
            .values(handoff=None, ai_state={}, thread_key=None, channel_meta={})
            .execution_options(synchronize_session=False)
        )
        n += result.rowcount or 0  # type: ignore[attr-defined]
    return n


async def _export_conversations(ctx: ExportContext) -> None:
    convs = await rows(
        ctx.session,
        select(Conversation)
        .where(
            Conversation.workspace_id == ctx.workspace_id,
            Conversation.customer_id == ctx.customer.id,
        )
        .order_by(Conversation.created_at),
    )
    for c in convs:
        ctx.conversation(c.id).update(
            {
                "channel": c.channel,
                "status": c.status,
                "tier": c.tier,
                "identity_verified": c.identity_verified,
                "created_at": iso(c.created_at),
                "resolved_at": iso(c.resolved_at),
                "routing": c.routing,
                "handoff": c.handoff,
                "channel_meta": c.channel_meta or {},
            }
        )


register_store(
    PersonalDataStore(
        "conversations",
        "table",
        "handoff package, the AI's memory (flow slots), channel thread (an SMS number) and "
        "channel details (email address and subject)",
        erase=_erase_conversations,
        retain=_retain_conversations,
        export=_export_conversations,
        order=60,
    )
)


# ---- messages ------------------------------------------------------------------------------


async def _erase_messages(ctx: ErasureContext) -> int:
    return await delete_where_in(
        ctx.session, Message, Message.conversation_id, ctx.conversation_ids
    )


async def _retain_messages(ctx: RetentionContext) -> int:
    return await delete_where_in(
        ctx.session, Message, Message.conversation_id, ctx.conversation_ids
    )


async def _export_messages(ctx: ExportContext) -> None:
    for part in chunks(ctx.conversation_ids):
        stmt = select(Message).where(Message.conversation_id.in_(part)).order_by(Message.seq)
        for m in await rows(ctx.session, stmt):
            ctx.conversation(m.conversation_id).setdefault("messages", []).append(
                {
                    "id": m.id,
                    "author": m.author,
                    "text": m.text,
                    "internal": m.internal,
                    "channel_meta": m.channel_meta or {},
                    "created_at": iso(m.created_at),
                }
            )


register_store(
    PersonalDataStore(
        "messages",
        "table",
        "what the customer, the AI and staff wrote; channel details (email headers, numbers)",
        erase=_erase_messages,
        retain=_retain_messages,
        export=_export_messages,
    )
)


# ---- events --------------------------------------------------------------------------------


def strip_text(data: dict[str, Any]) -> dict[str, Any]:
    """An event payload without its free-text fields (at any depth)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in SENSITIVE_EVENT_KEYS:
            continue
        if isinstance(value, dict):
            value = strip_text(value)
        elif isinstance(value, list):
            value = [strip_text(v) if isinstance(v, dict) else v for v in value]
        out[key] = value
    return out


async def anonymise_events(
    session: AsyncSession, conv_ids: list[str], customer_id: str | None, pseudonym: str | None
) -> int:
    """Free text out of the events of ``conv_ids``; the customer's actor id -> pseudonym."""
    count = 0
    for part in chunks(conv_ids):
        stmt = select(ConversationEvent).where(ConversationEvent.conversation_id.in_(part))
        for event in await rows(session, stmt):
            data = strip_text(dict(event.data or {}))
            changed = data != (event.data or {})
            if customer_id is not None and event.actor_id == customer_id:
                event.actor_id, changed = pseudonym, True
            if changed:
                event.data = data
                count += 1
    await session.flush()
    return count


async def _erase_events(ctx: ErasureContext) -> int:
    return await anonymise_events(ctx.session, ctx.conversation_ids, ctx.customer.id, ctx.pseudonym)


async def _retain_events(ctx: RetentionContext) -> int:
    return await anonymise_events(ctx.session, ctx.conversation_ids, None, None)


async def _export_events(ctx: ExportContext) -> None:
    for part in chunks(ctx.conversation_ids):
        stmt = (
            select(ConversationEvent)
            .where(ConversationEvent.conversation_id.in_(part))
            .order_by(ConversationEvent.seq)
        )
        for e in await rows(ctx.session, stmt):
            ctx.conversation(e.conversation_id).setdefault("events", []).append(
                {
                    "id": e.id,
                    "type": e.type,
                    "actor": e.actor,
                    "data": e.data,
                    "created_at": iso(e.created_at),
                }
            )


register_store(
    PersonalDataStore(
        "conversation_events",
        "table",
        "free text of events (notes, comments, summaries, an ignored mail's sender and "
        "subject); the rest is anonymous (types, times, tiers, ratings)",
        erase=_erase_events,
        retain=_retain_events,
        export=_export_events,
        order=55,
    )
)


# ---- past cases ----------------------------------------------------------------------------


async def _erase_cases(ctx: ErasureContext) -> int:
    return await delete_where_in(ctx.session, Case, Case.conversation_id, ctx.conversation_ids)


async def _retain_cases(ctx: RetentionContext) -> int:
    return await delete_where_in(ctx.session, Case, Case.conversation_id, ctx.conversation_ids)


async def _export_cases(ctx: ExportContext) -> None:
    out = ctx.document.setdefault("cases", [])
    for part in chunks(ctx.conversation_ids):
        stmt = select(Case).where(Case.conversation_id.in_(part)).order_by(Case.created_at)
        out.extend(
            {
                "id": k.id,
                "conversation_id": k.conversation_id,
                "question": k.question,
                "resolution": k.resolution,
                "category": k.category,
                "created_at": iso(k.created_at),
            }
            for k in await rows(ctx.session, stmt)
        )


register_store(
    PersonalDataStore(
        "cases",
        "table",
        "past cases (redacted question and resolution) for agents' similar-case search",
        erase=_erase_cases,
        retain=_retain_cases,  # and, on their own clock, retention.cases_days
        export=_export_cases,
    )
)


# ---- analytics facts -----------------------------------------------------------------------


async def _pseudonymise_facts(ctx: ErasureContext) -> int:
    from hybridcx.analytics.rollup import conversation_facts as t

    conn = await ctx.session.connection()
    rows = (
        await conn.execute(
            select(t.c.conversation_id, t.c.state).where(t.c.customer_id == ctx.customer.id)
        )
    ).all()
    for conv_id, state in rows:
        data = json.loads(state)
        data["customer_id"] = ctx.pseudonym
        await conn.execute(
            update(t)
            .where(t.c.conversation_id == conv_id)
            .values(customer_id=ctx.pseudonym, state=json.dumps(data, separators=(",", ":")))
        )
    return len(rows)


register_store(
    PersonalDataStore(
        "conversation_facts",
        "table",
        "the customer id of each conversation's KPI facts (repeat contacts)",
        erase=_pseudonymise_facts,
        retain=Skip("counts and timings the KPIs are made of; no content"),
        export=Skip("derived counts and timings of the conversations in the export"),
        order=70,
    )
)


# ---- erasure requests ----------------------------------------------------------------------


async def _export_erasures(ctx: ExportContext) -> None:
    stmt = select(ErasureRequest).where(
        ErasureRequest.workspace_id == ctx.workspace_id,
        ErasureRequest.customer_ref == ctx.customer.id,
    )
    ctx.document["erasure_requests"] = [
        {"id": r.id, "status": r.status, "requested_at": iso(r.requested_at)}
        for r in await rows(ctx.session, stmt)
    ]


register_store(
    PersonalDataStore(
        "erasure_requests",
        "table",
        "the customer id of an open erasure request",
        erase=Skip("the proof of the erasure: once done it keeps only a keyed hash of the id"),
        retain=Skip("the proof of each erasure; no content"),
        export=_export_erasures,
    )
)


def customer_query(workspace_id: str, customer_id: str) -> Select[Customer]:
    return select(Customer).where(
        Customer.id == customer_id,
        Customer.workspace_id == workspace_id,
        Customer.erased_at.is_(None),
    )
