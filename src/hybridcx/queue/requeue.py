"""Conversations of a staff member who is deactivated go back to the queue at once:
nobody can answer them any more, so they are not left waiting for a supervisor to notice.

Each one is queued again as a transfer to the queue would (its tier's skill, its place from
its tier and VIP), with a ``conversation.requeued`` event (why, from whom) and a
``conversation.queued`` event, a line for the customer, and the live updates to the desks and
to the customer; the caller dispatches after commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.auth.service import StaffPrincipal
from hybridcx.conversations import repository as repo
from hybridcx.conversations.schemas import conversation_state, message_read
from hybridcx.kit.events import (
    ConversationTransferred,
    ConversationUpdated,
    MessageCreated,
    QueueUpdated,
)
from hybridcx.kit.ids import utcnow
from hybridcx.kit.outbox import Outbox
from hybridcx.models import Agent, Conversation
from hybridcx.queue.service import rank
from hybridcx.workspaces.deps import HasPolicies

REASON = "agent_deactivated"


async def requeue_conversations_of(
    session: AsyncSession,
    rt: HasPolicies,
    agent: Agent,
    actor: StaffPrincipal,
    outbox: Outbox,
    *,
    reason: str = REASON,
) -> list[str]:
    """Queue again every open conversation assigned to ``agent``; their ids."""
    stmt = (
        select(Conversation)
        .where(
            Conversation.workspace_id == agent.workspace_id,
            Conversation.assigned_agent_id == agent.id,
            Conversation.status == "assigned",
        )
        .order_by(Conversation.assigned_at)
        .with_for_update()
    )
    convs = list((await session.execute(stmt)).scalars())
    if not convs:
        return []
    ws = await repo.get_workspace(session, agent.workspace_id)
    policy = rt.policies.policy(ws.slug)
    now = utcnow()
    for conv in convs:
        conv.status, conv.assigned_agent_id, conv.queued_at = "queued", None, now
        conv.required_skill = policy.skill_by_tier.get(conv.tier)
        customer = await repo.get_customer(session, conv.customer_id)
        rank(conv, vip=customer.vip, weights=policy.queue)
        handoff = dict(conv.handoff or {})
        handoff["declined_by"] = sorted({*handoff.get("declined_by", []), agent.id})
        conv.handoff = handoff
        conv.updated_at = now
        data: dict[str, Any] = {"from_agent_id": agent.id, "reason": reason, "tier": conv.tier}
        repo.add_event(
            session,
            conv,
            "conversation.requeued",
            actor="agent",
            actor_id=actor.agent_id,
            data=data,
        )
        repo.add_event(
            session,
            conv,
            "conversation.queued",
            actor="agent",
            actor_id=actor.agent_id,
            data={"tier": conv.tier, "reasons": [reason], "skill": conv.required_skill},
        )
        msg = repo.add_message(
            session,
            conv,
            author="system",
            text=f"{agent.name} is no longer available. The next member of our team will "
            "continue with you; they'll see everything so far.",
        )
        await session.flush()
        state = conversation_state(conv)
        outbox.emit(MessageCreated(conv.workspace_id, conv.id, message=message_read(msg)))
        outbox.emit(
            ConversationUpdated(conv.workspace_id, conv.id, to_staff=False, conversation=state)
        )
        outbox.emit(ConversationTransferred(conv.workspace_id, conversation=state, to_agent=None))
    outbox.emit(QueueUpdated(agent.workspace_id))
    return [c.id for c in convs]
