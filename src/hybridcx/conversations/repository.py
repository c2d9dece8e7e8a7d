"""All SQL for conversations, their messages and their event log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from hybridcx.kit.ids import new_id, utcnow
from hybridcx.models import (
    Agent,
    Conversation,
    ConversationEvent,
    Customer,
    Inbox,
    Message,
    ServerProcess,
    Workspace,
)
from hybridcx.privacy.pii import mask_payment_data, redact_values

# Statements a customer turn runs, built once: building a statement and its cache key costs
# more than running it on SQLite (tens of microseconds each, every turn).
_CONVERSATION = select(Conversation).where(Conversation.id == bindparam("conversation_id"))
_CONVERSATION_LOCKED = _CONVERSATION.with_for_update()
_CUSTOMER = select(Customer).where(Customer.id == bindparam("customer_id"))
_RECENT = (
    select(Message)
    .where(Message.conversation_id == bindparam("conversation_id"), Message.internal.is_(False))
    .order_by(Message.seq.desc())
    .limit(bindparam("limit"))
)
# The same for a turn's transcript: without the stored turn responses (the largest sealed
# values, one per customer message), which the transcript never reads (reading one raises).
_RECENT_TEXT = _RECENT.options(defer(Message.turn_response, raiseload=True))
_BY_KEY = select(Message).where(
    Message.conversation_id == bindparam("conversation_id"),
    Message.idempotency_key == bindparam("key"),
)
# A web chat turn's first read: the conversation (locked), its customer, and whether the
# Idempotency-Key was used before, in one statement instead of three.
_FOR_TURN = (
    select(
        Conversation,
        Customer,
        select(Message.seq)
        .where(
            Message.conversation_id == Conversation.id,
            Message.idempotency_key == bindparam("key"),
        )
        .correlate(Conversation)
        .exists()
        .label("key_seen"),
    )
    .join(Customer, Customer.id == Conversation.customer_id)
    .where(Conversation.id == bindparam("conversation_id"))
    .with_for_update(of=Conversation)
)


async def get_conversation(
    session: AsyncSession,
    conversation_id: str,
    *,
    workspace_id: str | None = None,
    lock: bool = False,
) -> Conversation | None:
    if workspace_id is None:
        stmt = _CONVERSATION_LOCKED if lock else _CONVERSATION
        result = await session.execute(stmt, {"conversation_id": conversation_id})
        return result.scalar_one_or_none()
    stmt = select(Conversation).where(
        Conversation.id == conversation_id, Conversation.workspace_id == workspace_id
    )
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def conversation_for_turn(
    session: AsyncSession, conversation_id: str, key: str | None
) -> tuple[Conversation, Customer, bool] | None:
    """The conversation (locked until the commit), its customer, and whether a message with
    this Idempotency-Key is stored in it already; None when there is no such conversation."""
    row = (
        await session.execute(_FOR_TURN, {"conversation_id": conversation_id, "key": key})
    ).one_or_none()
    return None if row is None else (row[0], row[1], bool(row[2]))


async def get_customer(session: AsyncSession, customer_id: str) -> Customer:
    return (await session.execute(_CUSTOMER, {"customer_id": customer_id})).scalar_one()


async def get_workspace(session: AsyncSession, workspace_id: str) -> Workspace:
    return (
        await session.execute(select(Workspace).where(Workspace.id == workspace_id))
    ).scalar_one()


async def get_agent(session: AsyncSession, agent_id: str, *, workspace_id: str) -> Agent | None:
    stmt = select(Agent).where(Agent.id == agent_id, Agent.workspace_id == workspace_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def find_inbox(session: AsyncSession, key: str | None) -> Inbox | None:
    if key:
        stmt = select(Inbox).where(Inbox.key == key)
    else:
        stmt = (
            select(Inbox)
            .join(Workspace, Workspace.id == Inbox.workspace_id)
            .where(Workspace.is_default.is_(True), Inbox.is_default.is_(True))
        )
    return (await session.execute(stmt.limit(1))).scalar_one_or_none()


async def list_messages(
    session: AsyncSession, conversation_id: str, *, include_internal: bool
) -> Sequence[Message]:
    stmt = select(Message).where(Message.conversation_id == conversation_id)
    if not include_internal:
        stmt = stmt.where(Message.internal.is_(False))
    return (await session.execute(stmt.order_by(Message.seq))).scalars().all()


async def list_events(session: AsyncSession, conversation_id: str) -> Sequence[ConversationEvent]:
    stmt = (
        select(ConversationEvent)
        .where(ConversationEvent.conversation_id == conversation_id)
        .order_by(ConversationEvent.seq)
    )
    return (await session.execute(stmt)).scalars().all()


# Workspace slugs never change once created: a turn need not read the workspace row for one.
_slugs: dict[str, str] = {}


async def workspace_slug(session: AsyncSession, workspace_id: str) -> str:
    slug = _slugs.get(workspace_id)
    if slug is None:
        stmt = select(Workspace.slug).where(Workspace.id == workspace_id)
        slug = _slugs[workspace_id] = (await session.execute(stmt)).scalar_one()
    return slug


async def recent_messages(
    session: AsyncSession, conversation_id: str, *, limit: int, transcript: bool = False
) -> Sequence[Message]:
    """The last ``limit`` public messages, oldest first (the newest-first scan of the
    (conversation_id, seq) index stops after ``limit`` rows). ``transcript``: for reading
    authors and texts only; the stored turn responses are not loaded."""
    stmt = _RECENT_TEXT if transcript else _RECENT
    result = await session.execute(stmt, {"conversation_id": conversation_id, "limit": limit})
    return list(reversed(result.scalars().all()))


async def get_message(session: AsyncSession, message_id: str) -> Message:
    return (await session.execute(select(Message).where(Message.id == message_id))).scalar_one()


async def find_by_idempotency_key(
    session: AsyncSession, conversation_id: str, key: str
) -> Message | None:
    result = await session.execute(_BY_KEY, {"conversation_id": conversation_id, "key": key})
    return result.scalar_one_or_none()


async def turn_messages(session: AsyncSession, turn_id: str) -> Sequence[Message]:
    stmt = select(Message).where(Message.turn_id == turn_id).order_by(Message.seq)
    return (await session.execute(stmt)).scalars().all()


def add_message(
    session: AsyncSession,
    conv: Conversation,
    *,
    author: str,
    text: str,
    internal: bool = False,
    agent_id: str | None = None,
    turn_id: str | None = None,
    idempotency_key: str | None = None,
    buttons: Sequence[str] = (),
    external_id: str | None = None,
    channel_meta: dict[str, Any] | None = None,
) -> Message:
    """A new message of ``conv``, added to the session."""
    msg = new_message(
        conv,
        author=author,
        text=text,
        internal=internal,
        agent_id=agent_id,
        turn_id=turn_id,
        idempotency_key=idempotency_key,
        buttons=buttons,
        external_id=external_id,
        channel_meta=channel_meta,
    )
    session.add(msg)
    return msg


def new_message(
    conv: Conversation,
    *,
    author: str,
    text: str,
    internal: bool = False,
    agent_id: str | None = None,
    turn_id: str | None = None,
    idempotency_key: str | None = None,
    buttons: Sequence[str] = (),
    external_id: str | None = None,
    channel_meta: dict[str, Any] | None = None,
) -> Message:
    """A new message of ``conv``, not yet added to a session (``add_message`` adds it)."""
    return Message(
        id=new_id(),  # known before the flush (the compliance record cites reply ids)
        workspace_id=conv.workspace_id,
        conversation_id=conv.id,
        author=author,
        # Card numbers and CVVs never reach storage, whatever the channel or author.
        text=mask_payment_data(text),
        internal=internal,
        agent_id=agent_id,
        turn_id=turn_id,
        idempotency_key=idempotency_key,
        buttons=list(buttons),
        external_id=external_id,
        channel_meta=dict(channel_meta or {}),
        created_at=utcnow(),
    )


def add_event(
    session: AsyncSession,
    conv: Conversation,
    type_: str,
    *,
    actor: str,
    actor_id: str | None = None,
    data: dict[str, Any] | None = None,
) -> ConversationEvent:
    event = ConversationEvent(
        workspace_id=conv.workspace_id,
        conversation_id=conv.id,
        type=type_,
        actor=actor,
        actor_id=actor_id,
        data=redact_values(data or {}, mask_payment_data),
        created_at=utcnow(),
    )
    session.add(event)
    return event


async def claim(
    session: AsyncSession,
    conversation_id: str,
    *,
    workspace_id: str,
    agent_id: str,
    from_statuses: Sequence[str],
) -> bool:
    """Exclusive claim: one conditional UPDATE, so only one of any number of racing
    claimers (in any process) sees a row change."""
    now = utcnow()
    result = await session.execute(
        update(Conversation)
        .where(
            Conversation.id == conversation_id,
            Conversation.workspace_id == workspace_id,
            Conversation.status.in_(list(from_statuses)),
        )
        .values(status="assigned", assigned_agent_id=agent_id, assigned_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return (result.rowcount or 0) == 1  # type: ignore[attr-defined]


async def agent_loads(session: AsyncSession, workspace_id: str) -> dict[str, int]:
    stmt = (
        select(Conversation.assigned_agent_id, func.count())
        .where(Conversation.workspace_id == workspace_id, Conversation.status == "assigned")
        .group_by(Conversation.assigned_agent_id)
    )
    return {agent_id: n for agent_id, n in (await session.execute(stmt)).all() if agent_id}


async def list_conversations(
    session: AsyncSession,
    workspace_id: str,
    *,
    status: str | None,
    limit: int = 200,
    scope: Any = None,
) -> Sequence[tuple[Conversation, Customer]]:
    stmt = (
        select(Conversation, Customer)
        .join(Customer, Customer.id == Conversation.customer_id)
        .where(Conversation.workspace_id == workspace_id)
    )
    if scope is not None:  # an object-level filter from auth.permissions
        stmt = stmt.where(scope)
    if status:
        stmt = stmt.where(Conversation.status == status)
    stmt = stmt.order_by(Conversation.updated_at.desc()).limit(limit)
    return [(c, cu) for c, cu in (await session.execute(stmt)).all()]


async def customer_messages_after(
    session: AsyncSession, conversation_id: str, after_message_id: str
) -> Sequence[Message]:
    """Public messages newer than ``after_message_id`` (all of them if that id is unknown)."""
    anchor = select(Message.seq).where(
        Message.conversation_id == conversation_id, Message.id == after_message_id
    )
    after_seq = (await session.execute(anchor)).scalar_one_or_none() or 0
    stmt = (
        select(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.internal.is_(False),
            Message.seq > after_seq,
        )
        .order_by(Message.seq)
    )
    return (await session.execute(stmt)).scalars().all()


async def recent_contacts(session: AsyncSession, conv: Conversation, *, since: datetime) -> int:
    """The customer's other conversations started since ``since`` (repeat contact)."""
    stmt = select(func.count()).where(
        Conversation.customer_id == conv.customer_id,
        Conversation.id != conv.id,
        Conversation.created_at >= since,
    )
    return int((await session.execute(stmt)).scalar_one())


async def take_answer_lease(
    session: AsyncSession,
    message_id: str,
    *,
    holder: str | None,
    stale_before: datetime,
    dead_before: datetime,
) -> bool:
    """Only one request answers a customer message. A lease may be taken over when its holder
    is gone: the process it names has not beaten since ``dead_before`` (or has no row: it
    exited), or, for a lease that names no process, it is older than ``stale_before``."""
    holder_alive = (
        select(ServerProcess.id)
        .where(ServerProcess.id == Message.answering_by, ServerProcess.beat_at >= dead_before)
        .exists()
    )
    result = await session.execute(
        update(Message)
        .where(
            Message.id == message_id,
            Message.turn_response.is_(None),
            Message.answering_at.is_(None)
            | (Message.answering_at < stale_before)
            | (Message.answering_by.is_not(None) & ~holder_alive),
        )
        .values(answering_at=utcnow(), answering_by=holder)
        .execution_options(synchronize_session=False)
    )
    return (result.rowcount or 0) == 1  # type: ignore[attr-defined]


async def release_orphaned_leases(
    session: AsyncSession, holder: str, *, keep: Sequence[str], taken_before: datetime
) -> int:
    """Hand back the answer leases ``holder`` took before ``taken_before`` and no longer works
    on (``keep``: the messages it is answering): a turn that failed while the database was away
    could not release its own. Leases taken since are left alone (their turn may have begun
    after ``keep`` was read)."""
    stmt = (
        update(Message)
        .where(
            Message.answering_by == holder,
            Message.turn_response.is_(None),
            Message.answering_at < taken_before,
        )
        .values(answering_at=None, answering_by=None)
        .execution_options(synchronize_session=False)
    )
    if keep:
        stmt = stmt.where(Message.id.not_in(list(keep)))
    result = await session.execute(stmt)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def turn_response(session: AsyncSession, message_id: str) -> dict[str, Any] | None:
    stmt = select(Message.turn_response).where(Message.id == message_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def release_answer_lease(session: AsyncSession, message_id: str) -> None:
    await session.execute(
        update(Message)
        .where(Message.id == message_id, Message.turn_response.is_(None))
        .values(answering_at=None, answering_by=None)
        .execution_options(synchronize_session=False)
    )
