"""SQL of the learning loop: training examples, intent clusters, unhandled messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.models import (
    Conversation,
    ConversationEvent,
    Customer,
    IntentCluster,
    Message,
    TrainingExample,
    Workspace,
)

#: Reasons on a turn's routing decision that mean the AI could not handle the message.
UNHANDLED_REASONS = frozenset({"low_confidence", "repeated_failure"})


async def find_workspace(
    session: AsyncSession, *, slug: str | None = None, workspace_id: str | None = None
) -> Workspace | None:
    """By id, else by slug, else the default workspace."""
    query = select(Workspace)
    if workspace_id:
        query = query.where(Workspace.id == workspace_id)
    elif slug:
        query = query.where(Workspace.slug == slug)
    else:
        query = query.where(Workspace.is_default.is_(True))
    return (await session.execute(query.limit(1))).scalar_one_or_none()


async def example_for_conversation(
    session: AsyncSession, conversation_id: str
) -> TrainingExample | None:
    query = select(TrainingExample).where(
        TrainingExample.conversation_id == conversation_id,
        TrainingExample.source == "resolution",
    )
    return (await session.execute(query)).scalar_one_or_none()


async def get_example(
    session: AsyncSession, workspace_id: str, example_id: str
) -> TrainingExample | None:
    query = select(TrainingExample).where(
        TrainingExample.id == example_id, TrainingExample.workspace_id == workspace_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def list_examples(
    session: AsyncSession,
    workspace_id: str,
    *,
    statuses: Sequence[str] | None = None,
    intent_sources: Sequence[str] | None = None,
    since: datetime | None = None,
    limit: int | None = None,
) -> list[TrainingExample]:
    query = select(TrainingExample).where(TrainingExample.workspace_id == workspace_id)
    if statuses:
        query = query.where(TrainingExample.status.in_(statuses))
    if intent_sources:
        query = query.where(TrainingExample.intent_source.in_(intent_sources))
    if since is not None:
        query = query.where(TrainingExample.created_at >= since)
    query = query.order_by(TrainingExample.created_at.desc(), TrainingExample.id)
    if limit:
        query = query.limit(limit)
    return list((await session.execute(query)).scalars())


async def known_message_ids(session: AsyncSession, workspace_id: str) -> set[str]:
    """Messages already learned from: in a training example or in a decided cluster."""
    ids = set(
        (
            await session.execute(
                select(TrainingExample.message_id).where(
                    TrainingExample.workspace_id == workspace_id,
                    TrainingExample.message_id.is_not(None),
                )
            )
        ).scalars()
    )
    decided = await session.execute(
        select(IntentCluster.examples).where(
            IntentCluster.workspace_id == workspace_id, IntentCluster.status != "suggested"
        )
    )
    for examples in decided.scalars():
        ids.update(e["message_id"] for e in examples or [])
    return {i for i in ids if i}


async def unhandled_messages(
    session: AsyncSession, workspace_id: str, *, since: datetime
) -> list[tuple[Message, dict[str, Any]]]:
    """Customer messages on whose turn the AI, still in charge, was not confident enough (or
    out of scope) or failed again (the routing.decided event of that turn says why), each with
    its customer's consents."""
    events = (
        await session.execute(
            select(ConversationEvent)
            .where(
                ConversationEvent.workspace_id == workspace_id,
                ConversationEvent.type == "routing.decided",
                ConversationEvent.created_at >= since,
            )
            .order_by(ConversationEvent.conversation_id, ConversationEvent.seq)
        )
    ).scalars()
    turn_ids: list[str] = []
    with_people: dict[str, bool] = {}
    for event in events:
        data = event.data or {}
        before = with_people.get(event.conversation_id, False)
        with_people[event.conversation_id] = before or bool(data.get("handoff"))
        if before or not data.get("turn_id"):
            continue  # people had it already: later reasons are inherited, not this turn's
        if UNHANDLED_REASONS & set(data.get("reasons") or []):
            turn_ids.append(str(data["turn_id"]))
    if not turn_ids:
        return []
    rows = await session.execute(
        select(Message, Customer.consents)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(Customer, Customer.id == Conversation.customer_id)
        .where(
            Message.id.in_(turn_ids),
            Message.author == "customer",
            Message.workspace_id == workspace_id,
        )
    )
    return sorted(((m, dict(c or {})) for m, c in rows.tuples()), key=lambda r: r[0].seq)


async def list_clusters(
    session: AsyncSession, workspace_id: str, *, status: str | None = None
) -> list[IntentCluster]:
    query = select(IntentCluster).where(IntentCluster.workspace_id == workspace_id)
    if status:
        query = query.where(IntentCluster.status == status)
    return list((await session.execute(query.order_by(IntentCluster.created_at))).scalars())


async def get_cluster(
    session: AsyncSession, workspace_id: str, cluster_id: str
) -> IntentCluster | None:
    query = select(IntentCluster).where(
        IntentCluster.id == cluster_id, IntentCluster.workspace_id == workspace_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def drop_suggested_clusters(session: AsyncSession, workspace_id: str) -> None:
    await session.execute(
        delete(IntentCluster).where(
            IntentCluster.workspace_id == workspace_id, IntentCluster.status == "suggested"
        )
    )


async def consents_by_conversation(
    session: AsyncSession, conversation_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """The current consents of each conversation's customer (consent can be withdrawn)."""
    if not conversation_ids:
        return {}
    rows = await session.execute(
        select(Conversation.id, Customer.consents)
        .join(Customer, Customer.id == Conversation.customer_id)
        .where(Conversation.id.in_(list(set(conversation_ids))))
    )
    return {cid: dict(consents or {}) for cid, consents in rows.tuples()}
