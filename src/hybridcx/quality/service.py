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
from hybridcx.quality.rubric import ConversationRecord, Line, RubricConfig, score_conversation

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
) -> ConversationRecord:
    sentiments = _sentiments(facts)
    handler = "ai"
    if facts is not None and facts.segments:
        handler = facts.segments[-1].agent_id
    elif conv.assigned_agent_id:
        handler = conv.assigned_agent_id
    return ConversationRecord(
        id=conv.id,
        lines=[Line(m.id, m.author, m.text, sentiments.get(m.id)) for m in messages],
        handler=handler,
        intent=(facts.intent if facts else None) or (conv.ai_state or {}).get("topic"),
        category=category,
        identity_verified=conv.identity_verified,
        handle_seconds=facts.handle_seconds if facts else None,
    )


def _sentiments(facts: ConversationFacts | None) -> dict[str, float]:
    return dict(facts.turn_sentiments) if facts is not None else {}


def _categories(events: Sequence[EventRow]) -> dict[str, str]:
    return {
        e.conversation_id: str(e.data["category"])
        for e in events
        if e.type == "conversation.resolved" and e.data.get("category")
    }


def _peer_times(records: Sequence[ConversationRecord]) -> dict[str, list[float]]:
    peers: dict[str, list[float]] = defaultdict(list)
    for r in records:
        if r.handle_seconds is not None:
            peers[r.category or r.intent or "other"].append(r.handle_seconds)
    return peers


async def _records(
    session: AsyncSession,
    workspace_id: str,
    convs: Sequence[Conversation],
    events: Sequence[EventRow],
) -> list[ConversationRecord]:
    facts = replay(events, meta_intents=("human_agent", "greeting", "goodbye", "thanks"))
    categories = _categories(events)
    lines = await repository.public_lines(session, [c.id for c in convs])
    return [record_of(c, lines[c.id], facts.get(c.id), categories.get(c.id)) for c in convs]


async def _window(
    session: AsyncSession, workspace_id: str, start: datetime, end: datetime
) -> tuple[list[Conversation], list[EventRow]]:
    events = await events_repo.window_events(
        session, workspace_id, start=start, end=max(end, utcnow()), types=QUALITY_EVENTS
    )
    started = [
        e.conversation_id for e in events if e.type == "conversation.created" and e.created_at < end
    ][-MAX_SCORED:]
    convs = await repository.conversations(session, workspace_id, started)
    cutoff = utcnow() - AI_IDLE
    return [c for c in convs if repository.finished_before(c, cutoff)], events


async def score_one(
    session: AsyncSession, workspace_id: str, conversation_id: str, rubric: RubricConfig
) -> dict[str, Any]:
    conv = await repository.conversation_in(session, workspace_id, conversation_id)
    if conv is None:
        raise NotFound("Conversation not found.")
    # Peers for the handle-time comparison: the 30 days up to this conversation.
    start = conv.created_at - timedelta(days=30)
    convs, events = await _window(
        session, workspace_id, start, conv.created_at + timedelta(seconds=1)
    )
    if conv.id not in {c.id for c in convs}:
        convs.append(conv)
    records = await _records(session, workspace_id, convs, events)
    peers = _peer_times(records)
    mine = next(r for r in records if r.id == conv.id)
    result = score_conversation(
        mine, rubric, peer_handle_seconds=peers.get(mine.category or mine.intent or "other", [])
    )
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
    convs, events = await _window(session, workspace_id, query.start, query.end)
    convs = [c for c in convs if query.start <= c.created_at < query.end]
    records = await _records(session, workspace_id, convs, events)
    peers = _peer_times(records)
    scored: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        s = score_conversation(
            r, rubric, peer_handle_seconds=peers.get(r.category or r.intent or "other", [])
        )
        scored[r.handler].append(s)
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
    return {"query": query.to_dict(), "scored_conversations": len(records), "handlers": handlers}
