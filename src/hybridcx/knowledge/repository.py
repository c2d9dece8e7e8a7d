"""Knowledge articles as the AI sees them: public articles of one workspace only."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.models import Article


async def public_article(session: AsyncSession, workspace_id: str, slug: str) -> Article | None:
    """The workspace's public article with this slug. Internal articles never reach customers."""
    stmt = select(Article).where(
        Article.workspace_id == workspace_id,
        Article.slug == slug,
        Article.audience == "public",
    )
    return (await session.execute(stmt)).scalar_one_or_none()
