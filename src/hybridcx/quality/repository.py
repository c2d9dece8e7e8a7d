"""SQL for quality scoring: a conversation's public lines, and the window's finished ones."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.models import (
    Agent,
    Article,
    Conversation,
    ConversationEvent,
    Message,
    QualityScore,
    Workspace,
)
from hybridcx.quality.rubric import KnowledgeUse


async def agent_names(session: AsyncSession, workspace_id: str) -> dict[str, str]:
    """The workspace's staff names by id."""
    rows = await session.execute(
        select(Agent.id, Agent.name).where(Agent.workspace_id == workspace_id)
    )
    return {agent_id: name for agent_id, name in rows.all()}


async def conversation_in(
    session: AsyncSession, workspace_id: str, conversation_id: str
) -> Conversation | None:
    stmt = select(Conversation).where(
        Conversation.id == conversation_id, Conversation.workspace_id == workspace_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def conversations(
    session: AsyncSession, workspace_id: str, ids: Sequence[str]
) -> list[Conversation]:
    found: list[Conversation] = []
    for i in range(0, len(ids), 500):
        stmt = select(Conversation).where(
            Conversation.workspace_id == workspace_id, Conversation.id.in_(ids[i : i + 500])
        )
        found.extend((await session.execute(stmt)).scalars())
    return found


async def public_lines(
    session: AsyncSession, conversation_ids: Sequence[str]
) -> dict[str, list[Message]]:
    """Public messages per conversation, in order (internal notes are not customer-facing)."""
    out: dict[str, list[Message]] = {cid: [] for cid in conversation_ids}
    for i in range(0, len(conversation_ids), 500):
        stmt = (
            select(Message)
            .where(
                Message.conversation_id.in_(conversation_ids[i : i + 500]),
                Message.internal.is_(False),
            )
            .order_by(Message.seq)
        )
        for m in (await session.execute(stmt)).scalars():
            out[m.conversation_id].append(m)
    return out


async def knowledge_uses(
    session: AsyncSession, conversation_ids: Sequence[str]
) -> dict[str, list[KnowledgeUse]]:
    """Per conversation, the turns answered from knowledge and their articles' current text."""
    uses: dict[str, list[tuple[str, list[str]]]] = {}
    for i in range(0, len(conversation_ids), 500):
        stmt = select(ConversationEvent.conversation_id, ConversationEvent.data).where(
            ConversationEvent.conversation_id.in_(conversation_ids[i : i + 500]),
            ConversationEvent.type == "routing.decided",
        )
        for conv_id, data in await session.execute(stmt):
            used = (data or {}).get("knowledge")
            if used and data.get("turn_id"):
                ids = [str(u["id"]) for u in used if isinstance(u, dict) and u.get("id")]
                uses.setdefault(conv_id, []).append((str(data["turn_id"]), ids))
    wanted = sorted({a for turns in uses.values() for _, ids in turns for a in ids})
    bodies: dict[str, str] = {}
    for i in range(0, len(wanted), 500):
        stmt = select(Article.id, Article.title, Article.body).where(
            Article.id.in_(wanted[i : i + 500]), Article.audience == "public"
        )
        for article_id, title, body in await session.execute(stmt):
            bodies[article_id] = f"{title}\n{body}"
    return {
        conv_id: [KnowledgeUse(turn, {a: bodies.get(a) for a in ids}) for turn, ids in turns]
        for conv_id, turns in uses.items()
    }


async def workspace_slugs(session: AsyncSession) -> list[tuple[str, str]]:
    rows = await session.execute(select(Workspace.id, Workspace.slug).order_by(Workspace.id))
    return [(wid, slug) for wid, slug in rows.all()]


async def stored_scores(
    session: AsyncSession, workspace_id: str, start: datetime, end: datetime
) -> AsyncIterator[Any]:
    """The stored scores of conversations started in [start, end), streamed in batches."""
    q = QualityScore
    stmt = (
        select(q.conversation_id, q.handler, q.score, q.criteria, q.finished_at, q.rubric_version)
        .where(q.workspace_id == workspace_id, q.started_at >= start, q.started_at < end)
        .order_by(q.started_at, q.conversation_id)
        .execution_options(yield_per=1000)
    )
    result = await session.stream(stmt)
    async for row in result:
        yield row
