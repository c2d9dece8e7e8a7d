"""Knowledge articles as the AI sees them: public articles of one workspace only."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.models import Article
from hybridcx.pipeline.base import ArticleRef


class ArticleKnowledge:
    """KnowledgeSource over the articles table. Internal articles never reach customers."""

    def __init__(self, session: AsyncSession, workspace_id: str) -> None:
        self.session = session
        self.workspace_id = workspace_id

    async def article(self, slug: str) -> ArticleRef | None:
        stmt = select(Article).where(
            Article.workspace_id == self.workspace_id,
            Article.slug == slug,
            Article.audience == "public",
        )
        found = (await self.session.execute(stmt)).scalar_one_or_none()
        return ArticleRef(found.slug, found.title, found.body) if found else None
