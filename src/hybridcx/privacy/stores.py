"""The built-in personal-data stores (see ``registry.py``): how each table and file store with
customer data is erased, retained and exported."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.kit.ids import hash_token, new_token
from hybridcx.kit.time import iso
from hybridcx.models import (
    Approval,
    Case,
    Conversation,
    ConversationEvent,
    Customer,
    DemoAccount,
    DemoAppointmentSlot,
    DemoOrder,
    DemoOutbox,
    EmailDraft,
    EmailRecord,
    ErasureRequest,
    ExperimentAssignment,
    Message,
    WebhookDelivery,
)
from hybridcx.privacy import attachments
from hybridcx.privacy.consent import read_consents
from hybridcx.privacy.fields import SENSITIVE_EVENT_KEYS
from hybridcx.privacy.normalize import normalize_email
from hybridcx.privacy.registry import (
    ErasureContext,
    ExportContext,
    PersonalDataStore,
    RetentionContext,
    Skip,
    register_store,
)

#: Rows per IN (...) list: under SQLite's bound-parameter limit.
CHUNK = 500


def chunks(ids: Sequence[str]) -> list[list[str]]:
    return [list(ids[i : i + CHUNK]) for i in range(0, len(ids), CHUNK)]


async def _delete_where_in(session: AsyncSession, model: Any, column: Any, ids: list[str]) -> int:
    n = 0
    for part in chunks(ids):
        result = await session.execute(delete(model).where(column.in_(part)))
        n += result.rowcount or 0  # type: ignore[attr-defined]
    return n


async def _rows(session: AsyncSession, stmt: Select[Any]) -> list[Any]:
    return list((await session.execute(stmt)).scalars().all())


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


register_store(
    PersonalDataStore(
        "customers",
        "table",
        "name, email, phone, external id, consents, segment attributes",
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
    convs = await _rows(
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
    return await _delete_where_in(
        ctx.session, Message, Message.conversation_id, ctx.conversation_ids
    )


async def _retain_messages(ctx: RetentionContext) -> int:
    return await _delete_where_in(
        ctx.session, Message, Message.conversation_id, ctx.conversation_ids
    )


async def _export_messages(ctx: ExportContext) -> None:
    for part in chunks(ctx.conversation_ids):
        stmt = select(Message).where(Message.conversation_id.in_(part)).order_by(Message.seq)
        for m in await _rows(ctx.session, stmt):
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
        for event in await _rows(session, stmt):
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
        for e in await _rows(ctx.session, stmt):
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
    return await _delete_where_in(ctx.session, Case, Case.conversation_id, ctx.conversation_ids)


async def _retain_cases(ctx: RetentionContext) -> int:
    return await _delete_where_in(ctx.session, Case, Case.conversation_id, ctx.conversation_ids)


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
            for k in await _rows(ctx.session, stmt)
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


# ---- approvals (held AI actions) -----------------------------------------------------------

_APPROVAL_STRIPPED: dict[str, Any] = {"params": {}, "summary": "", "note": None, "result": {}}


async def _erase_approvals(ctx: ErasureContext) -> int:
    n = 0
    for part in chunks(ctx.conversation_ids):
        result = await ctx.session.execute(
            update(Approval)
            .where(Approval.conversation_id.in_(part))
            .values(customer_id=ctx.pseudonym, **_APPROVAL_STRIPPED)
            .execution_options(synchronize_session=False)
        )
        n += result.rowcount or 0  # type: ignore[attr-defined]
    return n


async def _retain_approvals(ctx: RetentionContext) -> int:
    n = 0
    for part in chunks(ctx.conversation_ids):
        result = await ctx.session.execute(
            update(Approval)
            .where(Approval.conversation_id.in_(part), Approval.status != "pending")
            .values(**_APPROVAL_STRIPPED)
            .execution_options(synchronize_session=False)
        )
        n += result.rowcount or 0  # type: ignore[attr-defined]
    return n


async def _export_approvals(ctx: ExportContext) -> None:
    out = ctx.document.setdefault("approvals", [])
    stmt = (
        select(Approval)
        .where(Approval.workspace_id == ctx.workspace_id, Approval.customer_id == ctx.customer.id)
        .order_by(Approval.created_at)
    )
    out.extend(
        {
            "id": a.id,
            "conversation_id": a.conversation_id,
            "action": a.action,
            "params": a.params,
            "amount": a.amount,
            "summary": a.summary,
            "status": a.status,
            "note": a.note,
            "created_at": iso(a.created_at),
            "decided_at": iso(a.decided_at),
        }
        for a in await _rows(ctx.session, stmt)
    )


register_store(
    PersonalDataStore(
        "approvals",
        "table",
        "AI actions held for a person (action parameters, summary, the decision's note)",
        erase=_erase_approvals,
        retain=_retain_approvals,
        export=_export_approvals,
        order=40,
    )
)


# ---- experiment assignments ----------------------------------------------------------------


async def _erase_assignments(ctx: ErasureContext) -> int:
    result = await ctx.session.execute(
        update(ExperimentAssignment)
        .where(
            ExperimentAssignment.workspace_id == ctx.workspace_id,
            ExperimentAssignment.customer_id == ctx.customer.id,
        )
        .values(customer_id=ctx.pseudonym)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


async def _export_assignments(ctx: ExportContext) -> None:
    stmt = select(ExperimentAssignment).where(
        ExperimentAssignment.workspace_id == ctx.workspace_id,
        ExperimentAssignment.customer_id == ctx.customer.id,
    )
    ctx.document["experiments"] = [
        {
            "experiment_id": a.experiment_id,
            "conversation_id": a.conversation_id,
            "arm": a.arm,
            "assigned_at": iso(a.assigned_at),
        }
        for a in await _rows(ctx.session, stmt)
    ]


register_store(
    PersonalDataStore(
        "experiment_assignments",
        "table",
        "which experiment arm the customer's conversations got",
        erase=_erase_assignments,
        retain=Skip("an arm per conversation and the customer id; no content"),
        export=_export_assignments,
    )
)


# ---- outbound webhook deliveries -----------------------------------------------------------


async def _scrub_deliveries(session: AsyncSession, conv_ids: list[str]) -> int:
    """Deliveries of the conversations' messages go (their messages go too); deliveries of
    their events stay, with the events' free text taken out of the body, so the webhook worker
    never sees a gap to fill and sends an event twice."""
    n = 0
    for part in chunks(conv_ids):
        messages = select(Message.id).where(Message.conversation_id.in_(part))
        result = await session.execute(
            delete(WebhookDelivery).where(WebhookDelivery.source_id.in_(messages))
        )
        n += result.rowcount or 0  # type: ignore[attr-defined]
        events = select(ConversationEvent.id).where(ConversationEvent.conversation_id.in_(part))
        stmt = select(WebhookDelivery).where(WebhookDelivery.source_id.in_(events))
        for delivery in await _rows(session, stmt):
            body = json.loads(delivery.body)
            stripped = strip_text(body)
            if stripped != body:
                delivery.body = json.dumps(stripped, separators=(",", ":"))
                n += 1
    await session.flush()
    return n


async def _erase_deliveries(ctx: ErasureContext) -> int:
    return await _scrub_deliveries(ctx.session, ctx.conversation_ids)


async def _retain_deliveries(ctx: RetentionContext) -> int:
    return await _scrub_deliveries(ctx.session, ctx.conversation_ids)


register_store(
    PersonalDataStore(
        "webhook_deliveries",
        "table",
        "the bodies sent to the workspace's webhooks (message text, event free text)",
        erase=_erase_deliveries,
        retain=_retain_deliveries,
        export=Skip("copies of the messages and events in the export, sent to the company's own"),
        order=30,  # found through the messages and events, so before they go
    )
)


# ---- email: mail records, drafts, attachment files ------------------------------------------


async def _erase_mail_records(ctx: ErasureContext) -> int:
    n = await _delete_where_in(
        ctx.session, EmailRecord, EmailRecord.conversation_id, ctx.conversation_ids
    )
    # Ignored mail (auto-replies, bounces) that reached no conversation: found by the sender,
    # which is sealed, so read and compared here.
    address = normalize_email(ctx.customer.email) if ctx.customer.email else None
    if address:
        stmt = select(EmailRecord).where(
            EmailRecord.workspace_id == ctx.workspace_id, EmailRecord.conversation_id.is_(None)
        )
        theirs = [
            r.id
            for r in await _rows(ctx.session, stmt)
            if normalize_email(r.from_addr or "") == address
        ]
        n += await _delete_where_in(ctx.session, EmailRecord, EmailRecord.id, theirs)
    return n


async def _retain_mail_records(ctx: RetentionContext) -> int:
    n = await _delete_where_in(
        ctx.session, EmailRecord, EmailRecord.conversation_id, ctx.conversation_ids
    )
    # Older than the cutoff and tied to no live conversation (ignored mail, or mail recorded
    # after its conversation's transcript had already gone).
    expired = select(Conversation.id).where(
        Conversation.workspace_id == ctx.workspace_id,
        Conversation.status == "resolved",
        Conversation.resolved_at < ctx.cutoff,
    )
    result = await ctx.session.execute(
        delete(EmailRecord).where(
            EmailRecord.workspace_id == ctx.workspace_id,
            EmailRecord.created_at < ctx.cutoff,
            or_(EmailRecord.conversation_id.is_(None), EmailRecord.conversation_id.in_(expired)),
        )
    )
    return n + (result.rowcount or 0)  # type: ignore[attr-defined]


async def _export_mail_records(ctx: ExportContext) -> None:
    out = ctx.document.setdefault("email", [])
    for part in chunks(ctx.conversation_ids):
        stmt = (
            select(EmailRecord)
            .where(EmailRecord.conversation_id.in_(part))
            .order_by(EmailRecord.created_at)
        )
        out.extend(
            {
                "conversation_id": r.conversation_id,
                "direction": r.direction,
                "message_id": r.rfc_message_id,
                "status": r.status,
                "reason": r.reason,
                "from": r.from_addr,
                "to": r.to_addr,
                "subject": r.subject,
                "meta": r.meta,
                "at": iso(r.created_at),
            }
            for r in await _rows(ctx.session, stmt)
        )


register_store(
    PersonalDataStore(
        "email_messages",
        "table",
        "every mail received or sent: sender, recipient, subject, headers (Reply-To, References)",
        erase=_erase_mail_records,
        retain=_retain_mail_records,
        export=_export_mail_records,
        order=30,
    )
)


async def _erase_drafts(ctx: ErasureContext) -> int:
    return await _delete_where_in(
        ctx.session, EmailDraft, EmailDraft.conversation_id, ctx.conversation_ids
    )


async def _retain_drafts(ctx: RetentionContext) -> int:
    n = await _delete_where_in(
        ctx.session, EmailDraft, EmailDraft.conversation_id, ctx.conversation_ids
    )
    expired = select(Conversation.id).where(
        Conversation.workspace_id == ctx.workspace_id,
        Conversation.status == "resolved",
        Conversation.resolved_at < ctx.cutoff,
    )
    result = await ctx.session.execute(
        delete(EmailDraft).where(
            EmailDraft.workspace_id == ctx.workspace_id,
            EmailDraft.created_at < ctx.cutoff,
            EmailDraft.conversation_id.in_(expired),
        )
    )
    return n + (result.rowcount or 0)  # type: ignore[attr-defined]


async def _export_drafts(ctx: ExportContext) -> None:
    for part in chunks(ctx.conversation_ids):
        stmt = (
            select(EmailDraft)
            .where(EmailDraft.conversation_id.in_(part))
            .order_by(EmailDraft.created_at)
        )
        for d in await _rows(ctx.session, stmt):
            ctx.conversation(d.conversation_id).setdefault("email_drafts", []).append(
                {
                    "id": d.id,
                    "status": d.status,
                    "text": d.text,
                    "original_text": d.original_text,
                    "created_at": iso(d.created_at),
                    "decided_at": iso(d.decided_at),
                }
            )


register_store(
    PersonalDataStore(
        "email_drafts",
        "table",
        "replies the AI drafted for an agent to approve (they quote the customer)",
        erase=_erase_drafts,
        retain=_retain_drafts,
        export=_export_drafts,
        order=30,
    )
)


register_store(
    PersonalDataStore(
        attachments.STORE,
        "files",
        "files customers attached to their mail, sealed with the key ring",
        erase=attachments.erase,
        retain=attachments.retain,
        export=attachments.export,
        order=10,  # listed in the messages, so before they go
    )
)


# ---- the demo company's records ------------------------------------------------------------


async def _erase_demo_rows(ctx: ErasureContext, model: Any) -> int:
    result = await ctx.session.execute(delete(model).where(model.customer_id == ctx.customer.id))
    return result.rowcount or 0  # type: ignore[attr-defined]


async def _erase_orders(ctx: ErasureContext) -> int:
    return await _erase_demo_rows(ctx, DemoOrder)


async def _erase_accounts(ctx: ErasureContext) -> int:
    return await _erase_demo_rows(ctx, DemoAccount)


async def _erase_slots(ctx: ErasureContext) -> int:
    result = await ctx.session.execute(
        update(DemoAppointmentSlot)
        .where(DemoAppointmentSlot.customer_id == ctx.customer.id)
        .values(customer_id=None)
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


async def _erase_outbox(ctx: ErasureContext) -> int:
    if not ctx.customer.email:
        return 0
    result = await ctx.session.execute(
        delete(DemoOutbox).where(
            DemoOutbox.workspace_id == ctx.workspace_id,
            DemoOutbox.to_email == ctx.customer.email,
        )
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


async def _export_orders(ctx: ExportContext) -> None:
    from hybridcx.web.queries import customer_orders

    ctx.document.setdefault("records", {})["orders"] = await customer_orders(
        ctx.session, ctx.customer
    )


async def _export_slots(ctx: ExportContext) -> None:
    from hybridcx.web.queries import customer_appointments

    ctx.document.setdefault("records", {})["appointments"] = await customer_appointments(
        ctx.session, ctx.customer
    )


async def _export_accounts(ctx: ExportContext) -> None:
    stmt = select(DemoAccount).where(
        DemoAccount.workspace_id == ctx.workspace_id, DemoAccount.customer_id == ctx.customer.id
    )
    ctx.document.setdefault("records", {})["accounts"] = [
        {"account_number": a.account_number, "status": a.status, "plan": a.plan}
        for a in await _rows(ctx.session, stmt)
    ]


_COMPANY = (
    "the demo company's own system of record, kept by its rules (a real deployment's CRM); "
    "erasure removes the customer's rows"
)
for _name, _holds, _erase, _export in (
    ("demo_orders", "the customer's orders", _erase_orders, _export_orders),
    ("demo_accounts", "the customer's accounts", _erase_accounts, _export_accounts),
    ("demo_appointment_slots", "appointments booked", _erase_slots, _export_slots),
):
    register_store(
        PersonalDataStore(
            _name, "table", _holds, erase=_erase, retain=Skip(_COMPANY), export=_export, order=80
        )
    )
register_store(
    PersonalDataStore(
        "demo_outbox",
        "table",
        "mail the demo company sent (reset links, one-time codes) with the address",
        erase=_erase_outbox,
        retain=Skip(_COMPANY),
        export=Skip("one-time codes and reset links: exporting live secrets would be a way in"),
        order=80,
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
        for r in await _rows(ctx.session, stmt)
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
