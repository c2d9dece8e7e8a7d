"""Quality scores on demand from the database: one conversation, or every handler's summary."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.analytics import repository as events_repo
from hybridcx.analytics.facts import ConversationFacts, EventRow, replay
from hybridcx.analytics.kpis import KpiQuery
from hybridcx.kit.errors import NotFound
from hybridcx.kit.ids import utcnow
from hybridcx.models import Conversation, Message
from hybridcx.quality import repository
from hybridcx.quality.coaching import handler_summary
from hybridcx.quality.rubric import (
    ConversationRecord,
    KnowledgeUse,
    Line,
    RubricConfig,
    score_conversation,
)

# The AI has finished with a conversation nobody has written in for this long.
AI_IDLE = timedelta(minutes=30)
MAX_SCORED = 2000
QUALITY_EVENTS = (
    "conversation.created",
    "routing.decided",
    "conversation.queued",
    "conversation.assigned",
    "conversation.taken_over",
    "conversation.resolved",
)


def record_of(
    conv: Conversation,
    messages: Sequence[Message],
    facts: ConversationFacts | None,
    category: str | None,
    knowledge: Sequence[KnowledgeUse] = (),
) -> ConversationRecord:
    sentiments = _sentiments(facts)
    handler = "ai"
    if facts is not None and facts.segments:
        handler = facts.segments[-1].agent_id
    elif conv.assigned_agent_id:
        handler = conv.assigned_agent_id
    return ConversationRecord(
        id=conv.id,
        lines=[Line(m.id, m.author, m.text, sentiments.get(m.id), m.turn_id) for m in messages],
        handler=handler,
        intent=(facts.intent if facts else None) or (conv.ai_state or {}).get("topic"),
        category=category,
        identity_verified=conv.identity_verified,
        handle_seconds=facts.handle_seconds if facts else None,
        knowledge=knowledge,
    )


def _sentiments(facts: ConversationFacts | None) -> dict[str, float]:
    return dict(facts.turn_sentiments) if facts is not None else {}


def _categories(events: Sequence[EventRow]) -> dict[str, str]:
    return {
        e.conversation_id: str(e.data["category"])
        for e in events
        if e.type == "conversation.resolved" and e.data.get("category")
    }


META_INTENTS = ("human_agent", "greeting", "goodbye", "thanks")


def _peer_key(category: str | None, intent: str | None) -> str:
    return category or intent or "other"


def _peer_times(
    facts: dict[str, ConversationFacts], categories: dict[str, str]
) -> dict[str, list[float]]:
    """Handle times by category (intent when uncategorised), from events only."""
    peers: dict[str, list[float]] = defaultdict(list)
    for f in facts.values():
        if f.handle_seconds is not None:
            peers[_peer_key(categories.get(f.id), f.intent)].append(f.handle_seconds)
    return peers


async def _scored(
    session: AsyncSession,
    convs: Sequence[Conversation],
    events: Sequence[EventRow],
    rubric: RubricConfig,
) -> list[tuple[ConversationRecord, dict[str, Any]]]:
    facts = replay(events, meta_intents=META_INTENTS)
    categories = _categories(events)
    peers = _peer_times(facts, categories)
    lines = await repository.public_lines(session, [c.id for c in convs])
    knowledge = await repository.knowledge_uses(session, [c.id for c in convs])
    out = []
    for c in convs:
        record = record_of(
            c, lines[c.id], facts.get(c.id), categories.get(c.id), knowledge.get(c.id, [])
        )
        key = _peer_key(record.category, record.intent)
        out.append((record, score_conversation(record, rubric, peer_handle_seconds=peers[key])))
    return out


async def _window(
    session: AsyncSession, workspace_id: str, start: datetime, end: datetime
) -> tuple[list[str], list[EventRow]]:
    """Ids of conversations started in [start, end) (latest last), and their events to now."""
    events = await events_repo.window_events(
        session, workspace_id, start=start, end=max(end, utcnow()), types=QUALITY_EVENTS
    )
    started = [
        e.conversation_id for e in events if e.type == "conversation.created" and e.created_at < end
    ]
    return started, events


async def score_one(
    session: AsyncSession, workspace_id: str, conversation_id: str, rubric: RubricConfig
) -> dict[str, Any]:
    conv = await repository.conversation_in(session, workspace_id, conversation_id)
    if conv is None:
        raise NotFound("Conversation not found.")
    # Handle-time peers: the conversations of the 30 days up to this one.
    _, events = await _window(
        session, workspace_id, conv.created_at - timedelta(days=30), conv.created_at
    )
    ((_, result),) = await _scored(session, [conv], events, rubric)
    result["status"] = conv.status
    return result


async def agent_summaries(
    session: AsyncSession,
    workspace_id: str,
    query: KpiQuery,
    rubric: RubricConfig,
    names: dict[str, str],
) -> dict[str, Any]:
    """Every handler's quality in the window, the AI first, so they compare side by side."""
    started, events = await _window(session, workspace_id, query.start, query.end)
    cutoff = utcnow() - AI_IDLE
    convs = [
        c
        for c in await repository.conversations(session, workspace_id, started[-MAX_SCORED:])
        if repository.finished_before(c, cutoff)
    ]
    results = await _scored(session, convs, events, rubric)
    scored: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record, result in results:
        scored[record.handler].append(result)
    finished_at = {c.id: c.resolved_at or c.updated_at for c in convs}
    handlers = []
    for handler, scores in sorted(scored.items(), key=lambda kv: (kv[0] != "ai", kv[0])):
        handlers.append(
            {
                "handler": "ai" if handler == "ai" else "agent",
                "agent_id": None if handler == "ai" else handler,
                "name": "AI assistant" if handler == "ai" else names.get(handler, handler),
                **handler_summary(scores, finished_at),
            }
        )
    return {"query": query.to_dict(), "scored_conversations": len(results), "handlers": handlers}
