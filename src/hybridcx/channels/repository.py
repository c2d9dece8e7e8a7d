"""SQL the channels need: their inboxes, open threads, provider message ids."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.models import Conversation, Message


async def find_open_thread(
    session: AsyncSession,
    workspace_id: str,
    *,
    customer_id: str,
    channel: str,
    thread_key: str | None,
) -> Conversation | None:
    """The customer's latest unresolved conversation on this channel and thread."""
    stmt = select(Conversation).where(
        Conversation.workspace_id == workspace_id,
        Conversation.customer_id == customer_id,
        Conversation.channel == channel,
        Conversation.status != "resolved",
    )
    if thread_key is not None:
        stmt = stmt.where(Conversation.thread_key == thread_key)
    stmt = stmt.order_by(Conversation.created_at.desc()).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none()


async def find_thread(
    session: AsyncSession, workspace_id: str, *, channel: str, thread_key: str
) -> Conversation | None:
    """The latest conversation of a thread whoever's it is (a call by its sid)."""
    stmt = (
        select(Conversation)
        .where(
            Conversation.workspace_id == workspace_id,
            Conversation.channel == channel,
            Conversation.thread_key == thread_key,
        )
        .order_by(Conversation.created_at.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def message_by_external_id(
    session: AsyncSession, workspace_id: str, external_id: str
) -> Message | None:
    stmt = select(Message).where(
        Message.workspace_id == workspace_id, Message.external_id == external_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def last_public_message(session: AsyncSession, conversation_id: str) -> Message | None:
    stmt = (
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.internal.is_(False))
        .order_by(Message.seq.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def last_ai_buttons(session: AsyncSession, conversation_id: str) -> list[str]:
    """The quick replies of the latest public message, if it was the AI's and had any."""
    last = await last_public_message(session, conversation_id)
    if last is None or last.author != "ai":
        return []
    return list(last.buttons or [])
