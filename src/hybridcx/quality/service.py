"""Quality: a conversation's record for the rubric, and every handler's summary read from the
stored scores (``quality.scoring`` computes and stores them)."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.analytics.facts import ConversationFacts
from hybridcx.analytics.kpis import KpiQuery
from hybridcx.models import Conversation, Message
from hybridcx.quality import repository
from hybridcx.quality.coaching import handler_summary
from hybridcx.quality.rubric import ConversationRecord, KnowledgeUse, Line, RubricConfig

# The AI has finished with a conversation nobody has written in for this long.
AI_IDLE = timedelta(minutes=30)
# Bumped when the scoring code changes what a rubric's settings mean.
SCORING_VERSION = 1
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


META_INTENTS = ("human_agent", "greeting", "goodbye", "thanks")


def peer_key(category: str | None, intent: str | None) -> str:
    return category or intent or "other"


async def agent_summaries(
    session: AsyncSession,
    workspace_id: str,
    query: KpiQuery,
    rubric: RubricConfig,
    names: dict[str, str],
) -> dict[str, Any]:
    """Every handler's quality over the stored scores of the conversations started in the
    window, the AI first, so they compare side by side. ``rubric_versions`` counts the scores
    per rubric version (more than one: some were scored before the rubric changed)."""
    scored: dict[str, list[dict[str, Any]]] = defaultdict(list)
    finished: dict[str, datetime] = {}
    versions: Counter[str] = Counter()
    total = 0
    async for row in repository.stored_scores(session, workspace_id, query.start, query.end):
        scored[row.handler].append(
            {"conversation_id": row.conversation_id, "score": row.score, "criteria": row.criteria}
        )
        finished[row.conversation_id] = row.finished_at
        versions[row.rubric_version] += 1
        total += 1
    handlers = []
    for handler, scores in sorted(scored.items(), key=lambda kv: (kv[0] != "ai", kv[0])):
        handlers.append(
            {
                "handler": "ai" if handler == "ai" else "agent",
                "agent_id": None if handler == "ai" else handler,
                "name": "AI assistant" if handler == "ai" else names.get(handler, handler),
                **handler_summary(scores, finished),
            }
        )
    return {
        "query": query.to_dict(),
        "scored_conversations": total,
        "rubric_versions": dict(versions),
        "current_rubric_version": rubric_version(rubric),
        "handlers": handlers,
    }


def rubric_version(rubric: RubricConfig) -> str:
    """A short, stable name for the rubric's settings: same settings, same version."""
    digest = hashlib.sha256(rubric.model_dump_json().encode()).hexdigest()[:16]
    return f"v{SCORING_VERSION}-{digest}"
