"""Training rows for the outcome model, from the conversation event log.

A row is a conversation a person resolved: the agent who resolved it, the contact's features as
they were known when it waited (intent, channel, customer value, sentiment, hour), and how it
went. Resolution is the customer's own answer when the survey asked "was your issue resolved?";
otherwise first-contact resolution (no new conversation from the customer within the FCR window,
as analytics defines it), known only once that window has passed."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.analytics.facts import SURVEY, ConversationFacts, EventRow, replay
from hybridcx.routing.model import ContactFeatures, Outcome, OutcomeModel


def outcomes_from_events(
    events: Iterable[EventRow],
    *,
    customers: Mapping[str, tuple[bool, float]] | None = None,
    fcr_days: float = 7.0,
    now: datetime,
    meta_intents: Iterable[str] = ("human_agent", "greeting", "goodbye"),
) -> list[Outcome]:
    """One ``Outcome`` per conversation a person resolved, from events in log order.

    ``customers`` maps customer id to (vip, lifetime value)."""
    rows = list(events)
    answered: dict[str, bool] = {}
    for e in rows:
        if e.type == SURVEY and isinstance(e.data.get("resolved"), bool):
            answered[e.conversation_id] = bool(e.data["resolved"])
    facts = replay(rows, meta_intents=meta_intents)
    starts: dict[str, list[datetime]] = defaultdict(list)
    for f in facts.values():
        if f.customer_id:
            starts[f.customer_id].append(f.created_at)
    window = timedelta(days=fcr_days)
    out = []
    for f in facts.values():
        if f.resolved_at is None or not f.segments:
            continue
        resolved = answered.get(f.id)
        if resolved is None and f.created_at + window <= now:
            later = starts.get(f.customer_id or "", [])
            resolved = not any(f.created_at < t <= f.created_at + window for t in later)
        out.append(
            Outcome(
                agent_id=f.segments[-1].agent_id,
                features=_features(f, customers or {}),
                resolved=resolved,
                handle_seconds=f.handle_seconds,
                csat=f.csat,
            )
        )
    return out


def _features(f: ConversationFacts, customers: Mapping[str, tuple[bool, float]]) -> ContactFeatures:
    vip, value = customers.get(f.customer_id or "", (False, 0.0))
    when = f.first_assigned_at or f.created_at
    return ContactFeatures(
        intent=f.intent,
        channel=f.channel,
        vip=vip,
        lifetime_value=value,
        sentiment=round(statistics.fmean(f.sentiments), 4) if f.sentiments else None,
        hour=when.hour,
    )


# ---- from the database ---------------------------------------------------------------------


async def workspace_outcomes(
    session: AsyncSession,
    workspace_id: str,
    *,
    now: datetime,
    days: float = 90.0,
    fcr_days: float = 7.0,
    meta_intents: Iterable[str] = ("human_agent", "greeting", "goodbye"),
) -> list[Outcome]:
    """Outcomes of the workspace's conversations from the last ``days``."""
    from hybridcx.analytics.repository import window_events
    from hybridcx.models import ConversationEvent, Customer

    start = now - timedelta(days=days)
    events = await window_events(session, workspace_id, start=start, end=now + timedelta(seconds=1))
    # The KPI reader extracts the rating only; the survey's "resolved" answer is read here.
    e = ConversationEvent
    stmt = select(e.conversation_id, e.data).where(
        e.workspace_id == workspace_id, e.type == SURVEY, e.created_at >= start
    )
    answers = {
        cid: bool(data["resolved"])
        for cid, data in (await session.execute(stmt)).all()
        if isinstance(data, dict) and isinstance(data.get("resolved"), bool)
    }
    rows = [
        EventRow(
            ev.conversation_id,
            ev.type,
            ev.created_at,
            ev.actor,
            ev.actor_id,
            {**ev.data, "resolved": answers[ev.conversation_id]}
            if ev.type == SURVEY and ev.conversation_id in answers
            else ev.data,
        )
        for ev in events
    ]
    ids = {ev.actor_id for ev in rows if ev.type == "conversation.created" and ev.actor_id}
    customers: dict[str, tuple[bool, float]] = {}
    id_list = sorted(ids)
    for i in range(0, len(id_list), 500):
        chunk = id_list[i : i + 500]
        q = select(Customer.id, Customer.vip, Customer.lifetime_value).where(
            Customer.workspace_id == workspace_id, Customer.id.in_(chunk)
        )
        for cid, vip, value in (await session.execute(q)).all():
            customers[cid] = (bool(vip), float(value or 0.0))
    return outcomes_from_events(
        rows, customers=customers, fcr_days=fcr_days, now=now, meta_intents=meta_intents
    )


async def train_workspace(
    session: AsyncSession,
    workspace_id: str,
    *,
    now: datetime,
    days: float = 90.0,
    fcr_days: float = 7.0,
    prior_strength: float = 5.0,
    teams: Mapping[str, str] | None = None,
) -> OutcomeModel:
    """``teams``: the workspace policy's ``intent_skills``."""
    outcomes = await workspace_outcomes(
        session, workspace_id, now=now, days=days, fcr_days=fcr_days
    )
    return OutcomeModel.train(outcomes, trained_at=now, prior_strength=prior_strength, teams=teams)
