"""SQL on a workspace's own rows that the channels and the domains share: its inboxes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.kit.ids import new_id, new_token
from hybridcx.models import Inbox, Workspace


async def find_channel_inbox(
    session: AsyncSession, channel: str, key: str | None = None
) -> Inbox | None:
    """The inbox named by ``key`` (it must be of ``channel``), else the default workspace's
    inbox of that channel, created on first use so a new number works at once."""
    if key:
        stmt = select(Inbox).where(Inbox.key == key, Inbox.channel == channel)
        return (await session.execute(stmt)).scalar_one_or_none()
    ws = (
        await session.execute(select(Workspace).where(Workspace.is_default.is_(True)).limit(1))
    ).scalar_one_or_none()
    if ws is None:
        return None
    stmt = (
        select(Inbox)
        .where(Inbox.workspace_id == ws.id, Inbox.channel == channel)
        .order_by(Inbox.is_default.desc(), Inbox.created_at)
        .limit(1)
    )
    inbox = (await session.execute(stmt)).scalar_one_or_none()
    if inbox is None:
        inbox = Inbox(
            id=new_id(),
            workspace_id=ws.id,
            key=f"{ws.slug}-{channel}",
            channel=channel,
            name=channel.upper() if channel == "sms" else channel.capitalize(),
            hmac_secret=new_token(),
            is_default=False,
        )
        session.add(inbox)
        await session.flush()
    return inbox
