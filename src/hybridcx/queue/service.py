"""The unified human queue: ordering, positions, and automatic assignment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.conversations import repository as repo
from hybridcx.conversations.schemas import agent_ref, conversation_state, message_read
from hybridcx.experiments.variants import assignment_strategies
from hybridcx.kit.db import transaction
from hybridcx.kit.ids import utcnow
from hybridcx.kit.outbox import Outbox
from hybridcx.models import Agent, AgentPresence, Conversation, Customer, Workspace
from hybridcx.pipeline.policy import QueuePriority
from hybridcx.queue.priority import priority
from hybridcx.queue.strategy import AgentCandidate, QueuedWork
from hybridcx.routing.strategy import decide
from hybridcx.runtime import Runtime

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class QueueEntry:
    conversation: Conversation
    customer: Customer
    priority: float
    waiting_seconds: int


async def queue_entries(
    session: AsyncSession, workspace_id: str, weights: QueuePriority, *, now: datetime | None = None
) -> list[QueueEntry]:
    """Queued conversations of a workspace, highest priority first."""
    now = now or utcnow()
    stmt = (
        select(Conversation, Customer)
        .join(Customer, Customer.id == Conversation.customer_id)
        .where(Conversation.workspace_id == workspace_id, Conversation.status == "queued")
    )
    entries = []
    for conv, customer in (await session.execute(stmt)).all():
        queued_at = conv.queued_at or conv.created_at
        entries.append(
            QueueEntry(
                conversation=conv,
                customer=customer,
                priority=priority(
                    tier=conv.tier, vip=customer.vip, queued_at=queued_at, now=now, weights=weights
                ),
                waiting_seconds=int(max(0.0, (now - queued_at).total_seconds())),
            )
        )
    entries.sort(key=lambda e: (-e.priority, e.conversation.queued_at or now, e.conversation.id))
    return entries


def queue_item(entry: QueueEntry, position: int) -> dict[str, Any]:
    conv, customer = entry.conversation, entry.customer
    return {
        "conversation_id": conv.id,
        "position": position,
        "tier": conv.tier,
        "priority": entry.priority,
        "waiting_seconds": entry.waiting_seconds,
        "channel": conv.channel,
        "required_skill": conv.required_skill,
        "reasons": list((conv.routing or {}).get("reasons", [])),
        "customer": {
            "id": customer.id,
            "name": customer.name,
            "email": customer.email,
            "vip": customer.vip,
            "verified": conv.identity_verified,
        },
        "handoff": conv.handoff,
    }


async def queue_position(
    session: AsyncSession, conv: Conversation, weights: QueuePriority
) -> int | None:
    if conv.status != "queued":
        return None
    entries = await queue_entries(session, conv.workspace_id, weights)
    for i, entry in enumerate(entries, start=1):
        if entry.conversation.id == conv.id:
            return i
    return None


async def online_candidates(
    session: AsyncSession, workspace_id: str, *, presence_timeout_seconds: int
) -> list[AgentCandidate]:
    """Agents who are available *and* hold a live desk connection (fresh heartbeat)."""
    fresh = utcnow() - timedelta(seconds=presence_timeout_seconds)
    online = select(AgentPresence.agent_id).where(AgentPresence.heartbeat_at >= fresh)
    stmt = select(Agent).where(
        Agent.workspace_id == workspace_id, Agent.status == "available", Agent.id.in_(online)
    )
    agents = (await session.execute(stmt)).scalars().all()
    loads = await repo.agent_loads(session, workspace_id)
    return [
        AgentCandidate(
            id=a.id,
            name=a.name,
            skills=tuple(a.skills or ()),
            capacity=a.capacity,
            load=loads.get(a.id, 0),
            idle_since=a.idle_since,
        )
        for a in agents
    ]


async def assign(
    session: AsyncSession,
    outbox: Outbox,
    conv: Conversation,
    agent: Agent,
    *,
    via: str,
    from_statuses: tuple[str, ...],
    actor_id: str | None = None,
) -> bool:
    """Claim ``conv`` for ``agent`` (exclusive) and record it; False if someone was first."""
    if not await repo.claim(
        session,
        conv.id,
        workspace_id=conv.workspace_id,
        agent_id=agent.id,
        from_statuses=from_statuses,
    ):
        return False
    await session.refresh(conv)
    now = utcnow()
    await session.execute(update(Agent).where(Agent.id == agent.id).values(idle_since=now))
    repo.add_event(
        session,
        conv,
        "conversation.assigned",
        actor="agent" if via != "auto" else "system",
        actor_id=actor_id,
        data={"agent_id": agent.id, "agent_name": agent.name, "via": via},
    )
    joined = repo.add_message(
        session, conv, author="system", text=f"{agent.name} has joined the conversation."
    )
    await session.flush()
    joined_payload = {
        "type": "message.created",
        "conversation_id": conv.id,
        "message": message_read(joined),
    }
    outbox.to_customer(conv.id, joined_payload)
    outbox.to_staff(conv.workspace_id, joined_payload)
    state = conversation_state(conv, agent=agent)
    outbox.to_customer(conv.id, {"type": "conversation.updated", "conversation": state})
    outbox.to_staff(
        conv.workspace_id,
        {
            "type": "conversation.assigned",
            "conversation": state,
            "agent": agent_ref(agent),
            "via": via,
        },
    )
    return True


async def dispatch(runtime: Runtime, workspace_id: str) -> int:
    """Offer queued conversations, highest priority first, to online available agents."""
    outbox = Outbox()
    assigned = 0
    async with transaction(runtime.sessions) as session:
        ws = await repo.get_workspace(session, workspace_id)
        weights = runtime.policies.policy(ws.slug).queue
        candidates = await online_candidates(
            session, workspace_id, presence_timeout_seconds=runtime.presence_timeout_seconds
        )
        if not candidates:
            return 0
        by_id = {c.id: c for c in candidates}
        entries = await queue_entries(session, workspace_id, weights)
        # Experiments (issue 10): a conversation in an arm that sets the assignment strategy.
        arm_strategies = await assignment_strategies(
            session, runtime, workspace_id, [e.conversation.id for e in entries]
        )
        for entry in entries:
            conv = entry.conversation
            work = queued_work(entry)
            strategy = arm_strategies.get(conv.id, runtime.strategy)
            choice, decision = decide(strategy, work, list(by_id.values()))
            if choice is None:
                continue
            agent = await repo.get_agent(session, choice.id, workspace_id=workspace_id)
            if agent is None:
                continue
            if await assign(session, outbox, conv, agent, via="auto", from_statuses=("queued",)):
                assigned += 1
                if decision is not None:  # predictive routing's audit record (issue 10)
                    repo.add_event(
                        session,
                        conv,
                        "assignment.decided",
                        actor="system",
                        data=decision.to_event(),
                    )
                by_id[choice.id] = AgentCandidate(
                    **{**choice.__dict__, "load": choice.load + 1, "idle_since": utcnow()}
                )
        if assigned:
            outbox.to_staff(workspace_id, {"type": "queue.updated"})
    await outbox.flush(runtime.bus)
    if assigned:
        log.info("queue.dispatched", workspace_id=workspace_id, assigned=assigned)
    return assigned


def queued_work(entry: QueueEntry, *, now: datetime | None = None) -> QueuedWork:
    """What a strategy knows about a queued conversation (predictive routing reads it all)."""
    conv, customer = entry.conversation, entry.customer
    routing = conv.routing or {}
    sentiment = routing.get("sentiment")
    return QueuedWork(
        conv.id,
        conv.tier,
        conv.required_skill,
        conv.channel,
        tuple((conv.handoff or {}).get("declined_by", [])),
        workspace_id=conv.workspace_id,
        intent=(conv.ai_state or {}).get("topic") or routing.get("intent"),
        vip=customer.vip,
        lifetime_value=float(customer.lifetime_value or 0.0),
        sentiment=float(sentiment) if isinstance(sentiment, int | float) else None,
        waiting_seconds=float(entry.waiting_seconds),
        now=now or utcnow(),
    )


async def default_workspace_ids(session: AsyncSession) -> list[str]:
    return list((await session.execute(select(Workspace.id))).scalars().all())
