"""Signals evaluated on events: the conversation event log and the customer
messages are read from a stored cursor (the automation engine's ``automation_cursors`` table,
row ``outreach``), so commits by any process are seen and a restart resumes where it stopped.

A conversation created or resolved, or a customer message (the AI's topic and sentiment are on
the conversation by then), can raise ``repeat_contact`` or ``churn_risk`` for that customer: the
active campaigns on those signals are run for the customers touched since the cursor, with
every rule of a scheduled run (consent, quiet hours, caps, approval, holdout). Our own notices
are not contacts. The other signals (late shipment, appointment, failed payment) come from the
company backend, which has no event hook: the schedule and on-demand runs cover them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import func, select

from hybridcx.kit.db import transaction
from hybridcx.kit.ids import utcnow
from hybridcx.kit.tasks import reraise_if_cancelled
from hybridcx.models import (
    AutomationCursor,
    Conversation,
    ConversationEvent,
    Message,
    OutreachCampaign,
)
from hybridcx.outreach.deps import OutreachDeps
from hybridcx.outreach.service import run_campaign

log = structlog.get_logger(__name__)

CURSOR = "outreach"  # automation_cursors row (the rule engine's is "rules")
BATCH = 500
#: The conversation events that can raise each event-driven signal.
EVENTS = ("conversation.created", "conversation.resolved")
EVENT_SIGNALS = ("repeat_contact", "churn_risk")


async def process_events(rt: OutreachDeps, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Run the active event-driven campaigns for the customers whose conversations changed
    since the cursor. Returns the runs' summaries (one per campaign with someone touched)."""
    touched: dict[str, set[str]] = {}  # workspace -> customers
    async with transaction(rt.sessions) as session:
        cursor = await session.get(AutomationCursor, CURSOR)
        top_e = (await session.execute(select(func.max(ConversationEvent.seq)))).scalar() or 0
        top_m = (await session.execute(select(func.max(Message.seq)))).scalar() or 0
        live = (
            await session.execute(
                select(OutreachCampaign.workspace_id, OutreachCampaign.id).where(
                    OutreachCampaign.status == "active",
                    OutreachCampaign.signal.in_(EVENT_SIGNALS),
                )
            )
        ).all()
        if cursor is None or not live:
            # First start, or nothing listening: start from now (the schedule covers the past).
            if cursor is None:
                session.add(AutomationCursor(name=CURSOR, event_seq=top_e, message_seq=top_m))
            else:
                cursor.event_seq, cursor.message_seq = top_e, top_m
            return []
        events = (
            await session.execute(
                select(ConversationEvent.seq, ConversationEvent.conversation_id)
                .where(ConversationEvent.seq > cursor.event_seq)
                .where(ConversationEvent.type.in_(EVENTS))
                .where(ConversationEvent.seq <= cursor.event_seq + BATCH)
            )
        ).all()
        messages = (
            await session.execute(
                select(Message.seq, Message.conversation_id)
                .where(Message.seq > cursor.message_seq)
                .where(Message.seq <= cursor.message_seq + BATCH)
                .where(Message.author == "customer")
            )
        ).all()
        cursor.event_seq = min(top_e, cursor.event_seq + BATCH)
        cursor.message_seq = min(top_m, cursor.message_seq + BATCH)
        conv_ids = {c for _, c in events} | {c for _, c in messages}
        if conv_ids:
            rows = (
                await session.execute(
                    select(
                        Conversation.workspace_id,
                        Conversation.customer_id,
                        Conversation.channel_meta,
                    ).where(Conversation.id.in_(conv_ids))
                )
            ).all()
            for ws, customer_id, meta in rows:
                if customer_id and not (meta or {}).get("outreach"):  # not our own notice
                    touched.setdefault(ws, set()).add(customer_id)
    # The cursor is committed first: the outreach_sends rows make each notice happen once.
    results: list[dict[str, Any]] = []
    when = now or utcnow()
    for ws, campaign_id in live:
        if ws not in touched:
            continue
        try:
            results.append(await run_campaign(rt, ws, campaign_id, now=when, customers=touched[ws]))
        except Exception as exc:
            reraise_if_cancelled(exc)
            log.warning("outreach.event_run_failed", campaign_id=campaign_id, error=str(exc))
    return results
