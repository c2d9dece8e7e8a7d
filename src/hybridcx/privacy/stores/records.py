"""Stores beside the transcript: held AI actions, experiment arms, webhook deliveries and the
demo company's records."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.kit.time import iso
from hybridcx.models import (
    Approval,
    ConversationEvent,
    DemoAccount,
    DemoAppointmentSlot,
    DemoOrder,
    DemoOutbox,
    EventOutboxRow,
    ExperimentAssignment,
    Message,
    WebhookDelivery,
)
from hybridcx.privacy.registry import (
    ErasureContext,
    ExportContext,
    PersonalDataStore,
    RetentionContext,
    Skip,
    register_store,
)
from hybridcx.privacy.stores._sql import chunks, delete_where_in, rows
from hybridcx.privacy.stores.core import strip_text

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
        for a in await rows(ctx.session, stmt)
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
        for a in await rows(ctx.session, stmt)
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
        for delivery in await rows(session, stmt):
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


async def _connected(ctx: ExportContext, part: str) -> bool:
    """Issue 20: with a connector serving the flows, the records come from the company's
    system (the demo tables are not the customer's); the export says where from."""
    from hybridcx.profiles.company import connected_records

    found = await connected_records(ctx.session, ctx.customer)
    if found is None:
        return False
    records = ctx.document.setdefault("records", {})
    records[part], records["source"] = found[part], found["backend"]
    return True


async def _export_orders(ctx: ExportContext) -> None:
    from hybridcx.demo.records import customer_orders

    if await _connected(ctx, "orders"):
        return

    ctx.document.setdefault("records", {})["orders"] = await customer_orders(
        ctx.session, ctx.customer
    )


async def _export_slots(ctx: ExportContext) -> None:
    from hybridcx.demo.records import customer_appointments

    if await _connected(ctx, "appointments"):
        return

    ctx.document.setdefault("records", {})["appointments"] = await customer_appointments(
        ctx.session, ctx.customer
    )


async def _export_accounts(ctx: ExportContext) -> None:
    stmt = select(DemoAccount).where(
        DemoAccount.workspace_id == ctx.workspace_id, DemoAccount.customer_id == ctx.customer.id
    )
    ctx.document.setdefault("records", {})["accounts"] = [
        {"account_number": a.account_number, "status": a.status, "plan": a.plan}
        for a in await rows(ctx.session, stmt)
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


# ---- event_outbox: the live events of the last minutes (ops.outbox) --------------------------


async def _erase_event_outbox(ctx: ErasureContext) -> int:
    """The customer's conversations' events, and those of rows about several conversations of
    the workspace (they may hold the customer's words too): only WebSocket replay loses them."""
    erased = await delete_where_in(
        ctx.session, EventOutboxRow, EventOutboxRow.conversation_id, ctx.conversation_ids
    )
    mixed = await ctx.session.execute(
        delete(EventOutboxRow).where(
            EventOutboxRow.workspace_id == ctx.workspace_id,
            EventOutboxRow.conversation_id.is_(None),
        )
    )
    return erased + int(mixed.rowcount or 0)  # type: ignore[attr-defined]


register_store(
    PersonalDataStore(
        "event_outbox",
        "table",
        "the live events of each transaction (messages and conversation states as the "
        "WebSockets receive them), sealed, kept minutes for replay after a reconnect",
        erase=_erase_event_outbox,
        retain=Skip("deleted by every server process once past HYBRIDCX_OUTBOX_RETENTION_SECONDS"),
        export=Skip("copies of the conversation's messages and states, exported with them"),
    )
)
