"""The unified human queue: ordering, positions, and automatic assignment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import bindparam, event, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.auth.permissions import HANDLING_ROLES
from hybridcx.conversations import repository as repo
from hybridcx.conversations.schemas import agent_ref, conversation_state, message_read
from hybridcx.experiments.variants import assignment_strategies
from hybridcx.hours.sla import sla_view  # SLA timers in the queue
from hybridcx.kit.db import transaction
from hybridcx.kit.events import (
    ConversationAssigned,
    ConversationUpdated,
    MessageCreated,
    QueueUpdated,
    StatusLineToSend,
)
from hybridcx.kit.ids import utcnow
from hybridcx.kit.outbox import Outbox
from hybridcx.models import Agent, AgentPresence, Conversation, Customer, Workspace
from hybridcx.pipeline.policy import QueuePriority
from hybridcx.queue.deps import QueueDeps
from hybridcx.queue.priority import priority, queue_rank
from hybridcx.queue.strategy import AgentCandidate, QueuedWork
from hybridcx.routing.strategy import decide

log = structlog.get_logger(__name__)

#: Queued conversations dispatch reads at a time (it stops once every agent is full).
DISPATCH_PAGE = 100


@dataclass(frozen=True)
class QueueEntry:
    conversation: Conversation
    customer: Customer
    priority: float
    waiting_seconds: int


def _queued(conv: Any, workspace_id: Any) -> Any:
    return (conv.workspace_id == workspace_id) & (conv.status == "queued")


def rank(conv: Conversation, *, vip: bool, weights: QueuePriority) -> None:
    """Set the conversation's place in the queue order (when it is queued, or re-tiered)."""
    conv.queue_rank = queue_rank(
        tier=conv.tier, vip=vip, queued_at=conv.queued_at or conv.created_at, weights=weights
    )


@event.listens_for(Conversation, "before_insert")
@event.listens_for(Conversation, "before_update")
def _rank_unranked(_mapper: object, connection: Any, conv: Conversation) -> None:
    """A conversation queued by a path that did not rank it gets the default weights' rank."""
    if conv.status != "queued" or conv.queue_rank is not None:
        return
    vip = connection.execute(
        select(Customer.vip).where(Customer.id == conv.customer_id)
    ).scalar_one_or_none()
    rank(conv, vip=bool(vip), weights=QueuePriority())


async def queue_entries(
    session: AsyncSession,
    workspace_id: str,
    weights: QueuePriority,
    *,
    now: datetime | None = None,
    limit: int | None = 500,
    offset: int = 0,
    scope: Any = None,
) -> list[QueueEntry]:
    """Queued conversations of a workspace, highest priority first: one page, sorted by the
    database (only the page's customers are loaded and decrypted)."""
    now = now or utcnow()
    stmt = (
        select(Conversation, Customer)
        .join(Customer, Customer.id == Conversation.customer_id)
        .where(_queued(Conversation, workspace_id))
        .order_by(
            Conversation.queue_rank.desc(),
            func.coalesce(Conversation.queued_at, Conversation.created_at),
            Conversation.id,
        )
        .offset(offset)
    )
    if scope is not None:
        stmt = stmt.where(scope)
    if limit is not None:
        stmt = stmt.limit(limit)
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
    return entries


async def queue_summary(session: AsyncSession, workspace_id: str) -> tuple[int, datetime | None]:
    """How many wait, and since when the longest has waited."""
    stmt = select(
        func.count(), func.min(func.coalesce(Conversation.queued_at, Conversation.created_at))
    ).where(_queued(Conversation, workspace_id))
    count, oldest = (await session.execute(stmt)).one()
    return int(count), oldest


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
            "phone": customer.phone,  # channels: SMS and phone customers may have no email
            "vip": customer.vip,
            "verified": conv.identity_verified,
        },
        "handoff": conv.handoff,
        "after_hours": conv.after_hours,  # queued while closed (next shift)
        "sla": sla_view(conv.sla),  # the running SLA clock (due_at, time left)
    }


async def queue_position(
    session: AsyncSession, conv: Conversation, weights: QueuePriority
) -> int | None:
    """1 + how many queued conversations are served before ``conv``: a count over the
    (workspace, status, queue_rank) index, whatever the length of the queue."""
    if conv.status != "queued":
        return None
    if conv.queue_rank is None:
        rank(conv, vip=(await repo.get_customer(session, conv.customer_id)).vip, weights=weights)
    params = {
        "workspace_id": conv.workspace_id,
        "rank": conv.queue_rank,
        "id": conv.id,
        "queued_at": conv.queued_at or conv.created_at,
    }
    with session.no_autoflush:  # this conversation's own row need not be written first
        return int((await session.execute(_POSITION, params)).scalar_one()) + 1


def _position_statement() -> Any:
    """How many queued conversations are served before the one in the bind parameters. Two
    counts, each a range of the (workspace, status, queue_rank) index (an OR of the two would
    read every queued row). Built once: it runs on every turn of a queued conversation."""
    other = Conversation
    their_queued = func.coalesce(other.queued_at, other.created_at)
    queued_at = bindparam("queued_at", type_=Conversation.__table__.c.queued_at.type)
    higher = select(func.count()).where(
        _queued(other, bindparam("workspace_id")), other.queue_rank > bindparam("rank")
    )
    tied_earlier = select(func.count()).where(
        _queued(other, bindparam("workspace_id")),
        other.queue_rank == bindparam("rank"),
        other.id != bindparam("id"),
        (their_queued < queued_at) | ((their_queued == queued_at) & (other.id < bindparam("id"))),
    )
    return select(higher.scalar_subquery() + tied_earlier.scalar_subquery())


_POSITION = _position_statement()


async def online_candidates(
    session: AsyncSession, workspace_id: str, *, presence_timeout_seconds: int
) -> list[AgentCandidate]:
    """Agents who are available *and* hold a live desk connection (fresh heartbeat)."""
    fresh = utcnow() - timedelta(seconds=presence_timeout_seconds)
    online = select(AgentPresence.agent_id).where(AgentPresence.heartbeat_at >= fresh)
    stmt = select(Agent).where(
        Agent.workspace_id == workspace_id,
        Agent.status == "available",
        Agent.id.in_(online),
        Agent.role.in_(HANDLING_ROLES),  # auditors never receive conversations
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
    outbox.emit(MessageCreated(conv.workspace_id, conv.id, message=message_read(joined)))
    state = conversation_state(conv, agent=agent)
    outbox.emit(ConversationUpdated(conv.workspace_id, conv.id, to_staff=False, conversation=state))
    outbox.emit(
        ConversationAssigned(conv.workspace_id, conversation=state, agent=agent_ref(agent), via=via)
    )
    return True


async def dispatch(runtime: QueueDeps, workspace_id: str) -> int:
    """Offer queued conversations, highest priority first, to online available agents."""
    outbox = Outbox()
    assigned = 0
    assigned_ids: list[str] = []
    async with transaction(runtime.sessions) as session:
        ws = await repo.get_workspace(session, workspace_id)
        policy = runtime.policies.policy(ws.slug)
        weights = policy.queue
        candidates = await online_candidates(
            session, workspace_id, presence_timeout_seconds=runtime.presence_timeout_seconds
        )
        if not candidates:
            return 0
        by_id = {c.id: c for c in candidates}
        teams = await _candidate_teams(session, list(by_id))
        passed = 0  # queued conversations offered and left in the queue
        while any(c.load < c.capacity for c in by_id.values()):
            # A page at a time, highest priority first; stop when every agent is full.
            entries = await queue_entries(
                session, workspace_id, weights, limit=DISPATCH_PAGE, offset=passed
            )
            if not entries:
                break
            # Experiments: a conversation in an arm that sets the assignment strategy.
            arm_strategies = await assignment_strategies(
                session, runtime, workspace_id, [e.conversation.id for e in entries]
            )
            for entry in entries:
                conv = entry.conversation
                work = queued_work(entry, intent_skills=policy.intent_skills)
                strategy = arm_strategies.get(conv.id, runtime.strategy)
                # Teams: a team's conversation goes to that team's agents.
                eligible = [c for c in by_id.values() if _in_team(conv, teams.get(c.id))]
                choice, decision = decide(strategy, work, eligible)
                agent = (
                    None
                    if choice is None
                    else await repo.get_agent(session, choice.id, workspace_id=workspace_id)
                )
                if (
                    choice is None
                    or agent is None
                    or not await assign(
                        session, outbox, conv, agent, via="auto", from_statuses=("queued",)
                    )
                ):
                    passed += 1
                    continue
                assigned += 1
                assigned_ids.append(conv.id)
                if decision is not None:  # predictive routing's audit record
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
            if len(entries) < DISPATCH_PAGE:
                break
        if assigned:
            outbox.emit(QueueUpdated(workspace_id))
    await outbox.flush(runtime)
    if assigned:
        log.info("queue.dispatched", workspace_id=workspace_id, assigned=assigned)
        # channels: SMS customers get "… has joined the conversation." too
        for conversation_id in assigned_ids:
            await runtime.events.dispatch(runtime, StatusLineToSend(conversation_id))
    return assigned


async def _candidate_teams(
    session: AsyncSession, agent_ids: list[str]
) -> dict[str, tuple[str, tuple[str, ...]]]:
    rows = await session.execute(
        select(Agent.id, Agent.role, Agent.teams).where(Agent.id.in_(agent_ids))
    )
    return {a_id: (role, tuple(teams or ())) for a_id, role, teams in rows.all()}


def _in_team(conv: Conversation, role_teams: tuple[str, tuple[str, ...]] | None) -> bool:
    """A team's conversation goes to that team's agents (supervisors and admins serve all)."""
    if conv.team is None or role_teams is None:
        return conv.team is None
    role, teams = role_teams
    return role != "agent" or conv.team in teams


def queued_work(
    entry: QueueEntry,
    *,
    now: datetime | None = None,
    intent_skills: Mapping[str, str] | None = None,
) -> QueuedWork:
    """What a strategy knows about a queued conversation (predictive routing reads it all);
    ``intent_skills``: the workspace policy's, for the team of the conversation's intent."""
    conv, customer = entry.conversation, entry.customer
    routing = conv.routing or {}
    sentiment = routing.get("sentiment")
    intent = (conv.ai_state or {}).get("topic") or routing.get("intent")
    return QueuedWork(
        conv.id,
        conv.tier,
        conv.required_skill,
        conv.channel,
        tuple((conv.handoff or {}).get("declined_by", [])),
        workspace_id=conv.workspace_id,
        intent=intent,
        team=(intent_skills or {}).get(intent or ""),
        vip=customer.vip,
        lifetime_value=float(customer.lifetime_value or 0.0),
        sentiment=float(sentiment) if isinstance(sentiment, int | float) else None,
        waiting_seconds=float(entry.waiting_seconds),
        now=now or utcnow(),
    )


async def default_workspace_ids(session: AsyncSession) -> list[str]:
    return list((await session.execute(select(Workspace.id))).scalars().all())
