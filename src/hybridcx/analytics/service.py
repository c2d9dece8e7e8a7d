"""The KPI report for a workspace: catch the rollup up, load the window's facts, compute."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.agents.service import staffed_seconds
from hybridcx.analytics import repository, rollup
from hybridcx.analytics.config import AnalyticsConfig
from hybridcx.analytics.facts import ORDER, ConversationFacts, replay
from hybridcx.analytics.kpis import KpiQuery, compute_kpis_from_facts, scalability
from hybridcx.conversations import repository as conversations
from hybridcx.hours.sla import attainment_of
from hybridcx.kit.errors import Conflict, InvalidInput
from hybridcx.kit.ids import utcnow
from hybridcx.kit.time import iso
from hybridcx.models import Agent, Conversation, ConversationEvent, ConversationTag
from hybridcx.outreach.service import stats as outreach_stats
from hybridcx.scripting.adherence import adherence_report

DEFAULT_DAYS = 30
MAX_DAYS = 400


def parse_when(value: str | None, *, end: bool) -> datetime | None:
    """An ISO date (a whole day: ``to`` includes it) or an ISO datetime, as naive UTC."""
    if value is None or value == "":
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day + timedelta(days=1) if end else day, time())
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput(f"{value!r} is not an ISO date such as 2026-03-01.") from exc
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def kpi_query(
    start: str | None,
    end: str | None,
    *,
    channel: str | None = None,
    tier: int | None = None,
    intent: str | None = None,
    agent_id: str | None = None,
    team: str | None = None,
    tag: str | None = None,
) -> KpiQuery:
    """The query for ``from``/``to`` (default: the last 30 days), checked."""
    to_at = parse_when(end, end=True) or utcnow()
    from_at = parse_when(start, end=False) or to_at - timedelta(days=DEFAULT_DAYS)
    if from_at >= to_at:
        raise InvalidInput("'from' must be before 'to'.")
    if to_at - from_at > timedelta(days=MAX_DAYS):
        raise InvalidInput(f"A report covers at most {MAX_DAYS} days; narrow from/to.")
    return KpiQuery(
        start=from_at,
        end=to_at,
        channel=channel,
        tier=tier,
        intent=intent,
        agent_id=agent_id,
        team=team,
        tag=tag.strip().lower() if tag else None,
    )


# How much of the log a report may roll up itself; beyond that (a first report on a long history
# before `hybridcx analytics rollup` or the background catch-up ran) it replays the window.
REQUEST_CATCH_UP_SEQS = 200_000


async def team_agent_ids(session: AsyncSession, workspace_id: str, team: str) -> frozenset[str]:
    """A team's members: the workspace's staff in that team, or with that skill (skill
    groups work as teams too)."""
    stmt = select(Agent.id, Agent.teams, Agent.skills).where(Agent.workspace_id == workspace_id)
    rows = (await session.execute(stmt)).all()
    return frozenset(
        agent_id
        for agent_id, teams, skills in rows
        if team in (teams or []) or team in (skills or [])
    )


async def tagged_conversation_ids(
    session: AsyncSession, workspace_id: str, tag: str
) -> frozenset[str]:
    """The workspace's conversations with this tag."""
    stmt = select(ConversationTag.conversation_id).where(
        ConversationTag.workspace_id == workspace_id, ConversationTag.tag == tag
    )
    return frozenset((await session.execute(stmt)).scalars())


async def attribute_order(
    session: AsyncSession, conv: Conversation, order: dict[str, Any], *, agent_id: str
) -> None:
    """Record that ``conv`` led to ``order``; the same order id counts once (409)."""
    for data in await repository.order_attributions(session, conv.id):
        if data.get("order_id") == order["order_id"]:
            raise Conflict(f"Order {order['order_id']!r} is already attributed here.")
    conversations.add_event(session, conv, ORDER, actor="agent", actor_id=agent_id, data=order)


async def kpi_report(
    session: AsyncSession, workspace_id: str, query: KpiQuery, config: AnalyticsConfig
) -> dict[str, Any]:
    if query.team is not None and query.team_agent_ids is None:
        members = await team_agent_ids(session, workspace_id, query.team)
        query = dataclasses.replace(query, team_agent_ids=members)
    if query.tag is not None and query.tag_conversation_ids is None:  # KPIs by tag
        tagged = await tagged_conversation_ids(session, workspace_id, query.tag)
        query = dataclasses.replace(query, tag_conversation_ids=tagged)
    # Re-contacts after the window still decide first-contact resolution.
    now = utcnow()
    until = min(query.end + timedelta(days=config.fcr_days), max(now, query.end))
    facts = await rollup.window_facts(
        session,
        workspace_id,
        start=query.start,
        end=until,
        meta_intents=config.meta_intents,
        now=now,
        max_catch_up_seqs=REQUEST_CATCH_UP_SEQS,
    )
    source = "rollup"
    if facts is None:  # the rollup is still being built: replay the window's events instead
        events = await repository.window_events(session, workspace_id, start=query.start, end=until)
        facts = list(replay(events, meta_intents=config.meta_intents).values())
        source = "events"
    staffed = await staffed_seconds(session, workspace_id, query.start, min(query.end, now))
    report = compute_kpis_from_facts(
        facts, query, config, now=min(now, until), staffed_seconds=staffed
    )
    report["business"]["scalability"] = await _scalability(
        session, workspace_id, query, report["volume"]["conversations"], staffed
    )
    report["operations"]["sla"] = await sla_attainment(session, workspace_id, query, facts, until)
    # agents' adherence to scripts (conversations resolved in the window), and what
    # proactive outreach sent, got back and prevented (campaigns so far, not windowed).
    report["operations"]["script_adherence"] = await adherence_report(
        session, workspace_id, start=query.start, end=query.end
    )
    report["business"]["outreach"] = await outreach_stats(session, workspace_id)
    report["source"] = source
    report["generated_at"] = utcnow().isoformat(timespec="seconds") + "Z"
    return report


async def sla_attainment(
    session: AsyncSession,
    workspace_id: str,
    query: KpiQuery,
    facts: Iterable[ConversationFacts],
    until: datetime,
) -> dict[str, Any]:
    """SLA attainment of the report's conversations, overall and by tier, channel
    and team: their ``sla.completed`` and ``sla.breached`` events up to ``until``."""
    cohort = {f.id for f in facts if query.matches(f)}
    if not cohort:
        return attainment_of([])
    stmt = select(
        ConversationEvent.conversation_id, ConversationEvent.type, ConversationEvent.data
    ).where(
        ConversationEvent.workspace_id == workspace_id,
        ConversationEvent.type.in_(("sla.completed", "sla.breached")),
        ConversationEvent.created_at >= query.start,  # nothing happens before it starts
        ConversationEvent.created_at < until,
    )
    rows = (await session.execute(stmt)).all()
    return attainment_of([(t, d or {}) for cid, t, d in rows if cid in cohort])


async def _scalability(
    session: AsyncSession,
    workspace_id: str,
    query: KpiQuery,
    volume: int,
    staffed: dict[str, float],
) -> dict[str, Any]:
    """This window against the one before it, of the same length (whole workspace)."""
    length = query.end - query.start
    before = (query.start - length, query.start)
    t = rollup.conversation_facts
    counts = select(func.count()).where(
        t.c.workspace_id == workspace_id, t.c.created_at >= before[0], t.c.created_at < before[1]
    )
    previous_volume = int((await session.execute(counts)).scalar() or 0)
    unfiltered = select(func.count()).where(
        t.c.workspace_id == workspace_id, t.c.created_at >= query.start, t.c.created_at < query.end
    )
    # The ratio compares the workspace's whole volume, whatever the report's filters.
    if query.channel or query.tier or query.intent or query.agent_id or query.team:
        volume = int((await session.execute(unfiltered)).scalar() or 0)
    previous = await staffed_seconds(session, workspace_id, *before)
    result = scalability(
        volume, previous_volume, sum(staffed.values()) / 3600, sum(previous.values()) / 3600
    )
    result["previous_period"] = {"from": iso(before[0]), "to": iso(before[1])}
    return result
