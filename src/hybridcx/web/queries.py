"""Read-only SQL behind the web pages: help search, customer 360, dashboard numbers.

Every query takes the workspace id and filters on it; nothing here crosses tenants.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.kit.time import iso
from hybridcx.models import (
    Agent,
    Article,
    Conversation,
    ConversationEvent,
    Customer,
    Message,
)

SURVEY_EVENT = "survey.submitted"
ASKED_EVENT = "collaboration.asked"


# ---- help portal -----------------------------------------------------------------------------


async def public_articles(
    session: AsyncSession, workspace_id: str, *, limit: int = 50
) -> Sequence[Article]:
    """Every public article, by title: the help centre's front page (search is hybrid retrieval,
    in ``hybridcx.web.search``)."""
    stmt = select(Article).where(Article.workspace_id == workspace_id, Article.audience == "public")
    return (await session.execute(stmt.order_by(Article.title).limit(limit))).scalars().all()


async def public_article(session: AsyncSession, workspace_id: str, slug: str) -> Article | None:
    stmt = select(Article).where(
        Article.workspace_id == workspace_id, Article.slug == slug, Article.audience == "public"
    )
    return (await session.execute(stmt)).scalar_one_or_none()


# ---- customer 360 ----------------------------------------------------------------------------


async def customer_in_workspace(
    session: AsyncSession, workspace_id: str, customer_id: str
) -> Customer | None:
    stmt = select(Customer).where(Customer.id == customer_id, Customer.workspace_id == workspace_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def customer_visible_to(session: AsyncSession, staff: Any, customer_id: str) -> bool:
    """Object-level check: the customer has a conversation this staff member sees."""
    from hybridcx.auth.permissions import Perm, can, visible_conversations

    if can(staff, Perm.CONVERSATIONS_SUPERVISE):
        return True
    stmt = (
        select(Conversation.id)
        .where(Conversation.customer_id == customer_id, visible_conversations(staff))
        .limit(1)
    )
    return (await session.execute(stmt)).first() is not None


async def customer_conversations(
    session: AsyncSession, customer: Customer, *, limit: int = 20
) -> list[dict[str, Any]]:
    stmt = (
        select(Conversation)
        .where(
            Conversation.workspace_id == customer.workspace_id,
            Conversation.customer_id == customer.id,
        )
        .order_by(Conversation.created_at.desc())
        .limit(limit)
    )
    return [
        {
            "id": c.id,
            "channel": c.channel,
            "status": c.status,
            "tier": c.tier,
            "created_at": iso(c.created_at),
            "reasons": list((c.routing or {}).get("reasons", [])),
        }
        for c in (await session.execute(stmt)).scalars()
    ]


# ---- surveys ---------------------------------------------------------------------------------


async def has_survey(session: AsyncSession, conversation_id: str) -> bool:
    stmt = select(func.count()).where(
        ConversationEvent.conversation_id == conversation_id,
        ConversationEvent.type == SURVEY_EVENT,
    )
    return int((await session.execute(stmt)).scalar_one()) > 0


# ---- collaboration ---------------------------------------------------------------------------


async def questions_for(
    session: AsyncSession, workspace_id: str, agent_id: str, *, since: datetime, limit: int = 20
) -> list[dict[str, Any]]:
    """Questions asked of ``agent_id`` since ``since`` on conversations not resolved."""
    rows = (
        await session.execute(
            select(ConversationEvent, Conversation, Customer, Agent)
            .join(Conversation, Conversation.id == ConversationEvent.conversation_id)
            .join(Customer, Customer.id == Conversation.customer_id)
            .outerjoin(Agent, Agent.id == ConversationEvent.actor_id)
            .where(
                ConversationEvent.workspace_id == workspace_id,
                ConversationEvent.type == ASKED_EVENT,
                ConversationEvent.created_at >= since,
                Conversation.status != "resolved",
            )
            .order_by(ConversationEvent.created_at.desc())
            .limit(500)
        )
    ).all()
    items: list[dict[str, Any]] = []
    for event, conv, customer, asker in rows:
        data = event.data or {}
        if data.get("to_agent_id") != agent_id:
            continue
        replies = select(func.count()).where(
            Message.conversation_id == conv.id,
            Message.agent_id == agent_id,
            Message.internal.is_(True),
            Message.created_at >= event.created_at,
        )
        items.append(
            {
                "conversation_id": conv.id,
                "message_id": data.get("message_id"),
                "from_agent": {"id": event.actor_id, "name": asker.name if asker else "Someone"},
                "customer": {"name": customer.name, "email": customer.email},
                "text": str(data.get("text", "")),
                "asked_at": iso(event.created_at),
                "answered": int((await session.execute(replies)).scalar_one()) > 0,
            }
        )
        if len(items) >= limit:
            break
    return items


# ---- dashboard -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardNumbers:
    by_channel: dict[str, int]
    by_tier: dict[str, int]
    by_status: dict[str, int]
    escalation_reasons: dict[str, int]
    started: int
    contained: int
    csat_count: int
    csat_average: float | None


async def dashboard_numbers(
    session: AsyncSession, workspace_id: str, *, since: datetime
) -> DashboardNumbers:
    """Conversations started since ``since``; bounded by the window, not the whole history."""
    convs = (
        await session.execute(
            select(Conversation.id, Conversation.channel, Conversation.tier, Conversation.status)
            .where(Conversation.workspace_id == workspace_id, Conversation.created_at >= since)
            .limit(50_000)
        )
    ).all()
    events = (
        await session.execute(
            select(
                ConversationEvent.conversation_id, ConversationEvent.type, ConversationEvent.data
            )
            .where(
                ConversationEvent.workspace_id == workspace_id,
                ConversationEvent.created_at >= since,
                ConversationEvent.type.in_(
                    ["conversation.queued", "conversation.taken_over", SURVEY_EVENT]
                ),
            )
            .limit(100_000)
        )
    ).all()
    reasons: Counter[str] = Counter()
    to_people: set[str] = set()
    ratings: list[int] = []
    for conv_id, kind, data in events:
        if kind == SURVEY_EVENT:
            rating = (data or {}).get("rating")
            if isinstance(rating, int):
                ratings.append(rating)
            continue
        to_people.add(conv_id)
        if kind == "conversation.queued":
            reasons.update(str(r) for r in (data or {}).get("reasons", []))
        else:
            reasons["supervisor_takeover"] += 1
    ids = {row.id for row in convs}
    return DashboardNumbers(
        by_channel=dict(Counter(row.channel for row in convs)),
        by_tier=dict(Counter(str(row.tier) for row in convs)),
        by_status=dict(Counter(row.status for row in convs)),
        escalation_reasons=dict(reasons.most_common(10)),
        started=len(convs),
        contained=len(ids - to_people),
        csat_count=len(ratings),
        csat_average=round(sum(ratings) / len(ratings), 2) if ratings else None,
    )


async def agent_states(
    session: AsyncSession, workspace_id: str, *, online_ids: set[str]
) -> dict[str, int]:
    agents = (
        await session.execute(
            select(Agent.id, Agent.status).where(
                Agent.workspace_id == workspace_id, Agent.role != "auditor"
            )
        )
    ).all()
    online = [a for a in agents if a.id in online_ids]
    return {
        "available": sum(1 for a in online if a.status == "available"),
        "away": sum(1 for a in online if a.status != "available"),
        "offline": len(agents) - len(online),
    }


async def recent_waits(
    session: AsyncSession, workspace_id: str, *, since: datetime, limit: int = 500
) -> list[float]:
    """Seconds from queued to assigned for conversations picked up since ``since``."""
    rows = (
        await session.execute(
            select(Conversation.queued_at, Conversation.assigned_at)
            .where(
                Conversation.workspace_id == workspace_id,
                Conversation.assigned_at >= since,
                Conversation.queued_at.is_not(None),
            )
            .order_by(Conversation.assigned_at.desc())
            .limit(limit)
        )
    ).all()
    return [
        max(0.0, (assigned - queued).total_seconds())
        for queued, assigned in rows
        if queued is not None and assigned is not None and assigned >= queued
    ]
