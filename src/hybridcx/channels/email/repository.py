"""SQL of the email channel: mail records by Message-ID, and drafts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.kit.ids import utcnow
from hybridcx.models import Conversation, EmailDraft, EmailRecord


async def record_seen(
    session: AsyncSession, workspace_id: str, rfc_message_id: str
) -> EmailRecord | None:
    """An inbound mail already handled (processed or ignored) with this Message-ID."""
    stmt = (
        select(EmailRecord)
        .where(
            EmailRecord.workspace_id == workspace_id,
            EmailRecord.rfc_message_id == rfc_message_id,
            EmailRecord.direction == "in",
        )
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def thread_conversation(
    session: AsyncSession, workspace_id: str, thread_ids: Sequence[str]
) -> Conversation | None:
    """The conversation of the nearest known message this mail answers (In-Reply-To first,
    then References from the newest), whichever direction that message went."""
    if not thread_ids:
        return None
    stmt = select(EmailRecord.rfc_message_id, EmailRecord.conversation_id).where(
        EmailRecord.workspace_id == workspace_id,
        EmailRecord.rfc_message_id.in_(list(thread_ids)),
        EmailRecord.conversation_id.is_not(None),
    )
    found = {mid: cid for mid, cid in (await session.execute(stmt)).all()}
    for mid in thread_ids:
        if mid in found:
            conv = await session.get(Conversation, found[mid])
            if conv is not None and conv.workspace_id == workspace_id:
                return conv
    return None


async def last_inbound(session: AsyncSession, conversation_id: str) -> EmailRecord | None:
    """The customer's latest processed mail in a conversation: the one a reply answers."""
    stmt = (
        select(EmailRecord)
        .where(
            EmailRecord.conversation_id == conversation_id,
            EmailRecord.direction == "in",
            EmailRecord.status == "processed",
        )
        .order_by(EmailRecord.created_at.desc(), EmailRecord.id.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def drafts_for(
    session: AsyncSession, conversation_id: str, workspace_id: str
) -> Sequence[EmailDraft]:
    stmt = (
        select(EmailDraft)
        .where(
            EmailDraft.conversation_id == conversation_id,
            EmailDraft.workspace_id == workspace_id,
        )
        .order_by(EmailDraft.created_at)
    )
    return (await session.execute(stmt)).scalars().all()


async def get_draft(
    session: AsyncSession, draft_id: str, *, conversation_id: str, workspace_id: str
) -> EmailDraft | None:
    stmt = select(EmailDraft).where(
        EmailDraft.id == draft_id,
        EmailDraft.conversation_id == conversation_id,
        EmailDraft.workspace_id == workspace_id,
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def supersede_pending(session: AsyncSession, conversation_id: str) -> list[str]:
    """A newer customer mail makes older pending drafts stale."""
    stmt = select(EmailDraft.id).where(
        EmailDraft.conversation_id == conversation_id, EmailDraft.status == "pending"
    )
    ids = list((await session.execute(stmt)).scalars())
    if ids:
        await session.execute(
            update(EmailDraft)
            .where(EmailDraft.id.in_(ids))
            .values(status="superseded", updated_at=utcnow())
        )
    return ids


async def claim_draft(
    session: AsyncSession,
    draft_id: str,
    *,
    from_statuses: tuple[str, ...],
    to_status: str,
    agent_id: str | None,
    text: str | None,
    now: datetime,
) -> bool:
    """Move a draft on with one conditional update, so of two approvals only one sends."""
    values: dict[str, object] = {
        "status": to_status,
        "decided_by": agent_id,
        "decided_at": now,
        "updated_at": now,
    }
    if text is not None:
        values["text"] = text
    result = await session.execute(
        update(EmailDraft)
        .where(EmailDraft.id == draft_id, EmailDraft.status.in_(from_statuses))
        .values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def recent_inbound(
    session: AsyncSession, workspace_id: str, *, status: str | None, limit: int
) -> Sequence[EmailRecord]:
    stmt = select(EmailRecord).where(
        EmailRecord.workspace_id == workspace_id, EmailRecord.direction == "in"
    )
    if status is not None:
        stmt = stmt.where(EmailRecord.status == status)
    stmt = stmt.order_by(EmailRecord.created_at.desc(), EmailRecord.id).limit(limit)
    return (await session.execute(stmt)).scalars().all()
