"""The demo company's queries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.models import DemoOutbox


async def recent_outbox(
    session: AsyncSession, workspace_id: str, to: str | None = None, *, limit: int = 50
) -> Sequence[DemoOutbox]:
    """The workspace's newest demo emails, to one address when ``to`` is given."""
    stmt = select(DemoOutbox).where(DemoOutbox.workspace_id == workspace_id)
    if to:
        stmt = stmt.where(DemoOutbox.to_email == to.strip().lower())
    stmt = stmt.order_by(DemoOutbox.created_at.desc()).limit(limit)
    return (await session.execute(stmt)).scalars().all()
