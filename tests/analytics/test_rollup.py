"""The rollup (conversation_facts + kpi_watermarks) gives exactly the numbers of a full replay,
and a later report picks up the events written after the watermark."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from hybridcx.analytics import repository, rollup
from hybridcx.analytics.config import AnalyticsConfig
from hybridcx.analytics.facts import EventRow, from_state, replay, to_state
from hybridcx.analytics.kpis import KpiQuery, compute_kpis, compute_kpis_from_facts
from hybridcx.kit.db import transaction
from hybridcx.kit.ids import new_id, utcnow
from hybridcx.models import Agent, Conversation, ConversationEvent, Customer, Inbox, Workspace
from tests.support import LiveServer

INTENTS = ["order_status", "refund", "greeting", "billing", "human_agent"]
REASONS = ["low_confidence", "customer_request", "negative_sentiment"]


def _conversation(
    rng: random.Random, conv: str, customer: str, agents: list[str], start: datetime
) -> list[EventRow]:
    """One conversation's events (created, turns, and for some queued/assigned/resolved)."""
    at = start
    rows: list[EventRow] = []

    def add(kind: str, actor_id: str | None = None, **data: Any) -> None:
        nonlocal at
        rows.append(EventRow(conv, kind, at, actor_id=actor_id, data=data))
        at += timedelta(seconds=rng.uniform(1, 300))

    add("conversation.created", customer, channel=rng.choice(["webchat", "email", "whatsapp"]))
    for i in range(rng.randint(1, 3)):
        add(
            "routing.decided",
            intent=rng.choice(INTENTS),
            tier=rng.choice([1, 1, 2]),
            turn_id=f"{conv}-{i}",
            sentiment=round(rng.uniform(-1, 1), 2),
        )
    if rng.random() < 0.1:
        add("conversation.taken_over", agents[0], from_status="bot")
    if rng.random() < 0.5:
        add("conversation.queued", tier=rng.choice([2, 3]), reasons=rng.sample(REASONS, 2))
        if rng.random() < 0.8:
            add("conversation.assigned", agent_id=rng.choice(agents))
            if rng.random() < 0.2:
                add("conversation.transferred", tier=3)
                add("conversation.queued", tier=3, reasons=["transfer"])
                add("conversation.assigned", agent_id=rng.choice(agents))
            if rng.random() < 0.7:
                add("conversation.resolved", agent_id=None, category="x")
                if rng.random() < 0.5:
                    add("survey.submitted", rating=rng.randint(1, 5))
    return rows


def _log(rng: random.Random, n: int, start: datetime, days: float) -> list[EventRow]:
    customers = [f"cust-{i}" for i in range(n // 3 + 1)]
    events: list[EventRow] = []
    for i in range(n):
        at = start + timedelta(seconds=rng.uniform(0, days * 86400))
        events += _conversation(rng, f"c{i}", rng.choice(customers), ["a1", "a2", "a3"], at)
    return sorted(events, key=lambda e: e.created_at)


def test_replay_continues_from_stored_state() -> None:
    events = _log(random.Random(3), 300, datetime(2026, 3, 1), 20)
    whole = replay(events, meta_intents={"greeting", "human_agent"})
    half = len(events) // 2
    first = replay(events[:half], meta_intents={"greeting", "human_agent"})
    stored = {k: from_state(to_state(f)) for k, f in first.items()}  # a round trip, as in SQL
    assert stored == first
    continued = replay(events[half:], meta_intents={"greeting", "human_agent"}, facts=stored)
    assert continued == whole


async def _setup(server: LiveServer, n_customers: int) -> tuple[str, list[str], list[str], str]:
    async with transaction(server.runtime.sessions) as s:
        ws = Workspace(id=new_id(), slug="rollup-co", name="Rollup Co")
        s.add(ws)
        await s.flush()
        inbox = Inbox(workspace_id=ws.id, key="r-web", channel="webchat", name="w", hmac_secret="x")
        agents = [
            Agent(workspace_id=ws.id, email=f"r{i}@x.example", name="R", password_hash="x")
            for i in range(3)
        ]
        customers = [
            Customer(workspace_id=ws.id, email=f"rc{i}@x.example") for i in range(n_customers)
        ]
        s.add_all([inbox, *agents, *customers])
        await s.flush()
        return ws.id, [a.id for a in agents], [c.id for c in customers], inbox.id


async def _write(
    server: LiveServer, ws: str, inbox: str, events: list[EventRow], new_convs: dict[str, str]
) -> None:
    async with transaction(server.runtime.sessions) as s:
        if new_convs:
            created = {
                e.conversation_id: e.created_at for e in events if e.type.endswith("created")
            }
            await s.execute(
                insert(Conversation.__table__),
                [
                    {
                        "id": conv,
                        "workspace_id": ws,
                        "inbox_id": inbox,
                        "customer_id": customer,
                        "channel": "webchat",
                        "status": "resolved",
                        "tier": 1,
                        "customer_token_hash": "x",
                        "routing": {},
                        "ai_state": {},
                        "created_at": created[conv],
                        "updated_at": created[conv],
                    }
                    for conv, customer in new_convs.items()
                ],
            )
        await s.execute(
            insert(ConversationEvent.__table__),
            [
                {
                    "id": new_id(),
                    "workspace_id": ws,
                    "conversation_id": e.conversation_id,
                    "type": e.type,
                    "actor": "system",
                    "actor_id": e.actor_id,
                    "data": dict(e.data),
                    "created_at": e.created_at,
                }
                for e in events
            ],
        )


def _generate(
    rng: random.Random,
    n: int,
    start: datetime,
    days: float,
    customers: list[str],
    agents: list[str],
) -> tuple[list[EventRow], dict[str, str]]:
    convs: dict[str, str] = {}
    events: list[EventRow] = []
    for _ in range(n):
        conv, customer = new_id(), rng.choice(customers)
        convs[conv] = customer
        at = start + timedelta(seconds=rng.uniform(0, days * 86400))
        events += _conversation(rng, conv, customer, agents, at)
    return sorted(events, key=lambda e: e.created_at), convs


async def _both(
    server: LiveServer, ws: str, query: KpiQuery, config: AnalyticsConfig, now: datetime
) -> tuple[dict[str, Any], dict[str, Any], int]:
    async with server.runtime.sessions() as s:
        until = query.end + timedelta(days=config.fcr_days)
        facts = await rollup.window_facts(
            s, ws, start=query.start, end=until, meta_intents=config.meta_intents, now=now
        )
        from_facts = compute_kpis_from_facts(facts, query, config, now=now)
        events = await repository.window_events(s, ws, start=query.start, end=until)
        from_events = compute_kpis(events, query, config, now=now)
        w = rollup.kpi_watermarks
        mark = (await s.execute(select(w.c.next_seq).where(w.c.workspace_id == ws))).scalar_one()
        return from_facts, from_events, int(mark)


async def _catch_up(server: LiveServer, ws: str, config: AnalyticsConfig, now: datetime) -> int:
    async with server.runtime.sessions() as s:
        mark, _ = await rollup.catch_up(s, ws, meta_intents=config.meta_intents, now=now)
        return mark


async def _facts_row(server: LiveServer, conv: str) -> Any:
    t = rollup.conversation_facts
    async with server.runtime.sessions() as s:
        return (await s.execute(select(t).where(t.c.conversation_id == conv))).one_or_none()


async def _count(server: LiveServer, ws: str) -> int:
    t = rollup.conversation_facts
    async with server.runtime.sessions() as s:
        stmt = select(func.count()).select_from(t).where(t.c.workspace_id == ws)
        return int((await s.execute(stmt)).scalar_one())


def test_rollup_matches_replay_and_catches_up(server: LiveServer) -> None:
    server.reset()
    rng = random.Random(7)
    config = AnalyticsConfig()
    ws, agents, customers, inbox = server.call(_setup(server, 40))
    now = utcnow()
    base = now - timedelta(days=40)
    query = KpiQuery(start=base + timedelta(days=5), end=now)

    # 1. A history: the first report builds the facts and moves the watermark.
    events, convs = _generate(rng, 250, base, 30, customers, agents)
    server.call(_write(server, ws, inbox, events, convs))
    facts_report, events_report, mark = server.call(_both(server, ws, query, config, now))
    assert facts_report == events_report
    assert facts_report["volume"]["conversations"] > 50
    assert mark > 0
    assert server.call(_count(server, ws)) == 250

    # 2. Later events, past the watermark: open conversations get resolved, new ones start.
    open_ones = [
        e.conversation_id
        for e in events
        if e.type == "conversation.queued" and base + timedelta(days=6) < e.created_at
    ]
    target = open_ones[0]
    later = now - timedelta(days=3)
    more = [
        EventRow(target, "conversation.assigned", later, data={"agent_id": agents[2]}),
        EventRow(target, "conversation.resolved", later + timedelta(minutes=5), data={}),
        EventRow(target, "survey.submitted", later + timedelta(minutes=6), data={"rating": 2}),
    ]
    new_events, new_convs = _generate(rng, 60, now - timedelta(days=3), 2, customers, agents)
    server.call(_write(server, ws, inbox, more + new_events, new_convs))
    facts_report2, events_report2, mark2 = server.call(_both(server, ws, query, config, now))
    assert facts_report2 == events_report2
    assert facts_report2 != facts_report
    # A little past the watermark is replayed in memory: the report wrote nothing...
    assert mark2 == mark
    # ...and the background catch-up (the server's task, `hybridcx analytics rollup`) moves it.
    mark2 = server.call(_catch_up(server, ws, config, now))
    assert mark2 > mark
    assert server.call(_both(server, ws, query, config, now))[0] == facts_report2
    row = server.call(_facts_row(server, target))
    assert row.csat == 2 and row.resolved_at is not None and row.agent_id == agents[2]
    assert server.call(_count(server, ws)) == 310

    # 3. The last minutes stay out of the stored facts but are in the report.
    recent, recent_convs = _generate(rng, 5, now - timedelta(minutes=2), 0.0001, customers, agents)
    server.call(_write(server, ws, inbox, recent, recent_convs))
    fresh = KpiQuery(start=now - timedelta(days=1), end=now + timedelta(minutes=5))
    facts_report3, events_report3, mark3 = server.call(_both(server, ws, fresh, config, now))
    assert facts_report3 == events_report3
    assert facts_report3["volume"]["conversations"] == 5
    assert server.call(_count(server, ws)) == 310
    assert mark3 >= mark2


def test_a_report_on_an_unbuilt_rollup_replays_events_within_its_budget(
    server: LiveServer, monkeypatch: Any
) -> None:
    """A first report on a long history does not build the whole rollup inside the request: past
    its budget it answers from the window's events (same numbers) and says so."""
    from hybridcx.analytics import service

    server.reset()
    rng = random.Random(11)
    config = AnalyticsConfig()
    ws, agents, customers, inbox = server.call(_setup(server, 20))
    now = utcnow()
    events, convs = _generate(rng, 120, now - timedelta(days=20), 15, customers, agents)
    server.call(_write(server, ws, inbox, events, convs))
    query = KpiQuery(start=now - timedelta(days=30), end=now)
    monkeypatch.setattr(service, "REQUEST_CATCH_UP_SEQS", 5)

    async def report() -> dict[str, Any]:
        async with server.runtime.sessions() as s:
            return await service.kpi_report(s, ws, query, config)

    first = server.call(report())
    assert first["source"] == "events"
    assert server.call(_count(server, ws)) < 120  # only the budget's worth was rolled up
    server.call(_catch_up(server, ws, config, now))
    built = server.call(report())
    assert built["source"] == "rollup"
    assert built["volume"] == first["volume"]
    assert built["customer_experience"] == first["customer_experience"]
    # (agents' open segments run to each report's "now", so their seconds move on)
    for key in ("ai_containment", "tier_distribution", "cost", "queue"):
        assert built["operations"][key] == first["operations"][key]
