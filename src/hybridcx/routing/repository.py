"""Routing's queries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.models import ConversationEvent


async def assignment_decisions(
    session: AsyncSession, workspace_id: str, since: datetime
) -> list[tuple[datetime, dict[str, Any]]]:
    """When and how each assignment of the workspace was decided since ``since`` (the
    ``assignment.decided`` events' data)."""
    e = ConversationEvent
    rows = await session.execute(
        select(e.created_at, e.data).where(
            e.workspace_id == workspace_id,
            e.type == "assignment.decided",
            e.created_at >= since,
        )
    )
    return [(at, data or {}) for at, data in rows.all()]
