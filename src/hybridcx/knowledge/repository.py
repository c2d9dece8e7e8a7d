"""Knowledge articles as the AI sees them: public articles of one workspace only."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.knowledge.service import KnowledgeService
from hybridcx.models import Article
from hybridcx.pipeline.base import ArticleRef, KnowledgeAnswer


class ArticleKnowledge:
    """KnowledgeSource over the articles table. Internal articles never reach customers."""

    def __init__(
        self, session: AsyncSession, workspace_id: str, service: KnowledgeService | None = None
    ) -> None:
        self.session = session
        self.workspace_id = workspace_id
        self.service = service

    async def answer(self, query: str) -> KnowledgeAnswer | None:
        """A cited answer from public knowledge, or None when nothing is good enough."""
        if self.service is None:
            return None
        found = await self.service.answer(self.session, self.workspace_id, query)
        if not found.answered:
            return None
        sources = tuple((hit.title, hit.url or "") for hit in found.sources)
        articles = tuple(
            (doc_id, None) for doc_id in dict.fromkeys(h.doc_id for h in found.sources)
        )
        return KnowledgeAnswer(found.text, sources, round(found.confidence, 4), articles)

    async def article(self, slug: str) -> ArticleRef | None:
        stmt = select(Article).where(
            Article.workspace_id == self.workspace_id,
            Article.slug == slug,
            Article.audience == "public",
        )
        found = (await self.session.execute(stmt)).scalar_one_or_none()
        if found is None:
            return None
        return ArticleRef(found.slug, found.title, found.body, found.id, found.version)
