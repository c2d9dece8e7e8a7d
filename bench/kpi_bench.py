"""How long the KPI report takes for a 30-day window as the event history grows.

Builds a fresh database (a temporary SQLite file, and PostgreSQL too when
HYBRIDCX_TEST_POSTGRES_URL is set: its public schema is DROPPED and recreated, so point it at a
scratch database), inserts N synthetic conversations' events spread over --days of history
(about 7 events each: created, 1-3 routing decisions, and for escalated ones queued, assigned,
resolved and sometimes a survey), plus a second workspace's noise, then times, for the last 30
days: building the rollup from the whole log (what `hybridcx analytics rollup` or the server's
background task does once after deploying), a report by event replay (the fallback while the
rollup is not built), and --rounds reports as GET /api/v1/analytics/kpis runs them (rollup
catch-up, facts query and computation: the steady state).

    .venv/bin/python bench/kpi_bench.py                      # 100,000 conversations
    .venv/bin/python bench/kpi_bench.py --conversations 1000000 --sqlite-path /tmp/kpi1m.db
    .venv/bin/python bench/kpi_bench.py --sqlite-path /tmp/kpi1m.db --reuse   # measure again
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from hybridcx.analytics import repository, rollup
from hybridcx.analytics.config import AnalyticsConfig
from hybridcx.analytics.kpis import KpiQuery, compute_kpis
from hybridcx.analytics.service import kpi_report
from hybridcx.kit.db import create_engine, session_factory, upgrade
from hybridcx.kit.ids import utcnow
from hybridcx.kit.keys import load_keyring
from hybridcx.models import Agent, Base, Conversation, ConversationEvent, Customer, Inbox, Workspace

NOW = datetime(2026, 11, 27, 12, 0)
BATCH = 20_000
INTENTS = ["order_status", "refund", "billing", "password_reset", "cancel_order", "shipping"]
REASONS = ["low_confidence", "customer_request", "negative_sentiment", "vip", "complex"]


def _conversation_events(
    rng: random.Random, ws: str, conv: str, customer: str, agents: list[str], start: datetime
) -> list[dict[str, Any]]:
    at = start
    rows: list[dict[str, Any]] = []

    def add(kind: str, actor: str, data: dict[str, Any], actor_id: str | None = None) -> None:
        rows.append(
            {
                "id": os.urandom(16).hex(),
                "workspace_id": ws,
                "conversation_id": conv,
                "type": kind,
                "actor": actor,
                "actor_id": actor_id,
                "data": data,
                "created_at": at,
            }
        )

    channel = rng.choice(["webchat", "webchat", "email", "sms"])
    add("conversation.created", "customer", {"channel": channel}, customer)
    intent = rng.choice(INTENTS)
    escalate = rng.random() < 0.35
    for turn in range(rng.randint(1, 3)):
        at += timedelta(seconds=rng.randint(5, 60))
        add(
            "routing.decided",
            "ai",
            {
                "tier": 2 if escalate else 1,
                "intent": intent,
                "confidence": round(rng.random(), 3),
                "sentiment": round(rng.uniform(-1, 1), 3),
                "reasons": [],
                "scores": {},
                "thresholds": {"confidence": 0.7},
                "handoff": False,
                "turn_id": f"{conv}-{turn}",
            },
        )
    if escalate:
        tier = 3 if rng.random() < 0.2 else 2
        add("conversation.queued", "system", {"tier": tier, "reasons": [rng.choice(REASONS)]})
        at += timedelta(seconds=rng.expovariate(1 / 25))
        agent = rng.choice(agents)
        add("conversation.assigned", "system", {"agent_id": agent, "via": "auto"})
        at += timedelta(seconds=rng.expovariate(1 / 300))
        add("conversation.resolved", "agent", {"agent_id": agent, "category": intent}, agent)
        if rng.random() < 0.5:
            at += timedelta(seconds=30)
            add("survey.submitted", "customer", {"rating": rng.randint(1, 5)}, customer)
    return rows


async def populate(engine: AsyncEngine, n: int, days: int, seed: int) -> tuple[str, int]:
    """Two workspaces (90% / 10% of the traffic); returns the big one's id and the event count."""
    rng = random.Random(seed)
    sessions = session_factory(engine)
    spaces: list[tuple[str, str, list[str], list[str]]] = []
    async with sessions() as s:
        for slug in ("bench", "noise"):
            ws = Workspace(slug=slug, name=slug)
            s.add(ws)
            await s.flush()
            inbox = Inbox(
                workspace_id=ws.id, key=f"{slug}-web", channel="webchat", name="w", hmac_secret="x"
            )
            agents = [
                Agent(
                    workspace_id=ws.id,
                    email=f"a{i}@{slug}.example",
                    name=f"A{i}",
                    password_hash="x",
                )
                for i in range(25)
            ]
            customers = [
                Customer(workspace_id=ws.id, email=f"c{i}@{slug}.example") for i in range(5_000)
            ]
            s.add_all([inbox, *agents, *customers])
            await s.flush()
            spaces.append((ws.id, inbox.id, [a.id for a in agents], [c.id for c in customers]))
        await s.commit()
    span = timedelta(days=days).total_seconds()
    starts = sorted(NOW - timedelta(seconds=rng.uniform(0, span)) for _ in range(n))
    total = 0
    for offset in range(0, n, BATCH):
        convs, events = [], []
        for start in starts[offset : offset + BATCH]:
            ws, inbox, agents, customers = spaces[0] if rng.random() < 0.9 else spaces[1]
            conv, customer = os.urandom(16).hex(), rng.choice(customers)
            convs.append(
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
                    "created_at": start,
                    "updated_at": start,
                }
            )
            events.extend(_conversation_events(rng, ws, conv, customer, agents, start))
        # The log is append-only: rows arrive in time order, as they do in production.
        events.sort(key=lambda e: e["created_at"])
        async with sessions() as s:
            await s.execute(insert(Conversation.__table__), convs)
            await s.execute(insert(ConversationEvent.__table__), events)
            await s.commit()
        total += len(events)
    # Late events of earlier batches were written after later conversations started; a real
    # log interleaves them the same way, within a conversation's length.
    return spaces[0][0], total


async def existing(engine: AsyncEngine) -> tuple[str, int, int] | None:
    """The bench workspace and event count of an earlier run, if the database has one."""
    try:
        async with engine.connect() as conn:
            ws = (
                await conn.execute(text("SELECT id FROM workspaces WHERE slug = 'bench'"))
            ).scalar()
            if ws is None:
                return None
            count = (await conn.execute(text("SELECT count(*) FROM conversation_events"))).scalar()
            convs = (await conn.execute(text("SELECT count(*) FROM conversations"))).scalar()
            return str(ws), int(count or 0), int(convs or 0)
    except Exception:  # no schema yet
        return None


async def measure(
    url: str, n: int, days: int, rounds: int, *, reuse: bool, key_dir: Path
) -> dict[str, Any]:
    # Customer fields are encrypted at rest: the bench keeps its keys beside its database, so a
    # --reuse run opens what an earlier run wrote.
    ring = load_keyring(keys=None, index_key=None, key_file=None, data_dir=key_dir)
    engine = create_engine(url, keyring=ring)
    try:
        found = await existing(engine) if reuse else None
        began = time.perf_counter()
        if found is not None:
            ws, events, n = found
            await upgrade(engine)  # an older run's database may predate the rollup tables
        else:
            if engine.dialect.name == "postgresql":
                async with engine.begin() as conn:
                    await conn.execute(text("DROP SCHEMA public CASCADE"))
                    await conn.execute(text("CREATE SCHEMA public"))
            else:
                async with engine.begin() as conn:
                    for table in reversed(Base.metadata.sorted_tables):
                        await conn.execute(text(f"DROP TABLE IF EXISTS {table.name}"))
                    await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            await upgrade(engine)
            ws, events = await populate(engine, n, days, seed=1)
        load_seconds = time.perf_counter() - began
        if engine.dialect.name == "postgresql":
            async with engine.begin() as conn:
                await conn.execute(text("ANALYZE"))
        query = KpiQuery(start=NOW - timedelta(days=30), end=NOW)
        config = AnalyticsConfig()
        # What `hybridcx analytics rollup` (or the server's background task) does once after
        # deploying on this history: replay the whole log into the facts.
        async with session_factory(engine)() as s:
            t = time.perf_counter()
            await rollup.catch_up(s, ws, meta_intents=config.meta_intents, now=utcnow())
            build_seconds = time.perf_counter() - t
        # Without the rollup a report replays the window's events (the fallback while it builds).
        async with session_factory(engine)() as s:
            t = time.perf_counter()
            window = await repository.window_events(
                s, ws, start=query.start, end=query.end + timedelta(days=config.fcr_days)
            )
            compute_kpis(window, query, config)
            replay_seconds = time.perf_counter() - t
        timings, cpu, report = [], [], {}
        rollup.clear_cache()  # the first round reads the window from the rollup (cold)
        for _ in range(rounds):
            async with session_factory(engine)() as s:
                t, c = time.perf_counter(), time.process_time()
                report = await kpi_report(s, ws, query, config)
                timings.append(time.perf_counter() - t)
                # CPU seconds of this process (all its threads): what the report costs even
                # when other work shares the machine and stretches the wall time.
                cpu.append(time.process_time() - c)
        return {
            "database": engine.dialect.name,
            "conversations": n,
            "history_days": days,
            "events": events,
            "load_seconds": round(load_seconds, 1),
            "window_conversations": report["volume"]["conversations"],
            "rollup_build_seconds": round(build_seconds, 1),
            "event_replay_report_seconds": round(replay_seconds, 2),
            "report_source": report.get("source"),
            "kpi_seconds_cold": round(timings[0], 3),
            "kpi_seconds_warm_median": round(statistics.median(timings[1:] or timings), 3),
            "kpi_seconds_min": round(min(timings), 3),
            "kpi_cpu_seconds_cold": round(cpu[0], 3),
            "kpi_cpu_seconds_warm_median": round(statistics.median(cpu[1:] or cpu), 3),
            "load_average_1m": round(os.getloadavg()[0], 1),
            "containment": report["operations"]["ai_containment"]["rate"],
        }
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365, help="history the traffic spreads over")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sqlite-path", type=Path, help="keep the SQLite database here")
    parser.add_argument(
        "--reuse", action="store_true", help="measure an earlier run's databases without loading"
    )
    parser.add_argument(
        "--postgres-only", action="store_true", help="only HYBRIDCX_TEST_POSTGRES_URL's database"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_path = args.sqlite_path or Path(tmp) / "bench.db"
        urls = [] if args.postgres_only else [f"sqlite+aiosqlite:///{sqlite_path.resolve()}"]
        if os.environ.get("HYBRIDCX_TEST_POSTGRES_URL"):
            urls.append(os.environ["HYBRIDCX_TEST_POSTGRES_URL"])
        for url in urls:
            # A kept SQLite file keeps its keys beside it (for --reuse); otherwise a temp dir.
            kept = url.startswith("sqlite") and args.sqlite_path is not None
            key_dir = Path(f"{sqlite_path}.keys") if kept else Path(tmp) / "keys"
            key_dir.mkdir(parents=True, exist_ok=True)
            result = asyncio.run(
                measure(
                    url,
                    args.conversations,
                    args.days,
                    args.rounds,
                    reuse=args.reuse,
                    key_dir=key_dir,
                )
            )
            print(json.dumps(result))


if __name__ == "__main__":
    main()
