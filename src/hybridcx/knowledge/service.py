"""The knowledge engine over the database: per-workspace hybrid indexes kept in step with the
articles and cases tables, incrementally (only changed documents are re-embedded).

Each server process keeps its own in-memory indexes; a cheap signature query (count, latest
update, version sum) tells when another process changed the articles.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.knowledge.engine.answer import Answer, Answerer, answer
from hybridcx.knowledge.engine.documents import Document
from hybridcx.knowledge.engine.index import Hit, KnowledgeIndex
from hybridcx.models import Article, Case


def article_document(a: Article) -> Document:
    return Document(
        id=a.id,
        title=a.title,
        body=a.body,
        tags=tuple(a.tags or ()),
        audience=a.audience,  # type: ignore[arg-type]
        url=f"/help/articles/{a.slug}",
        version=a.version,
    )


def case_document(c: Case) -> Document:
    return Document(
        id=c.id,
        title=c.question[:120],
        body=f"{c.question}\n\nResolution: {c.resolution}",
        tags=tuple(t for t in (c.intent, c.category) if t),
        audience="internal",
    )


@dataclass
class _Cached:
    signature: tuple[Any, ...] = ()
    index: KnowledgeIndex = field(default_factory=KnowledgeIndex)
    versions: dict[str, int] = field(default_factory=dict)


class KnowledgeService:
    def __init__(
        self, *, answer_threshold: float | None = None, answerer: Answerer | None = None
    ) -> None:
        """``answerer`` is the generative one when an LLM is configured (extractive otherwise)."""
        self.answer_threshold = answer_threshold
        self.answerer = answerer
        self._articles: dict[str, _Cached] = {}
        self._cases: dict[str, _Cached] = {}

    async def articles(self, session: AsyncSession, workspace_id: str) -> KnowledgeIndex:
        cached = self._articles.setdefault(workspace_id, _Cached())
        signature = tuple(
            (
                await session.execute(
                    select(
                        func.count(), func.max(Article.updated_at), func.sum(Article.version)
                    ).where(Article.workspace_id == workspace_id)
                )
            ).one()
        )
        if signature == cached.signature:
            return cached.index
        rows = (
            (await session.execute(select(Article).where(Article.workspace_id == workspace_id)))
            .scalars()
            .all()
        )
        seen = set()
        for row in rows:
            seen.add(row.id)
            if cached.versions.get(row.id) != row.version or row.id not in cached.index:
                cached.index.update(article_document(row))
                cached.versions[row.id] = row.version
        for gone in set(cached.versions) - seen:
            cached.index.remove(gone)
            del cached.versions[gone]
        cached.signature = signature
        return cached.index

    async def cases(self, session: AsyncSession, workspace_id: str) -> KnowledgeIndex:
        cached = self._cases.setdefault(workspace_id, _Cached())
        signature = tuple(
            (
                await session.execute(
                    select(func.count(), func.max(Case.created_at)).where(
                        Case.workspace_id == workspace_id
                    )
                )
            ).one()
        )
        if signature == cached.signature:
            return cached.index
        rows = (
            (await session.execute(select(Case).where(Case.workspace_id == workspace_id)))
            .scalars()
            .all()
        )
        new = [case_document(c) for c in rows if c.id not in cached.versions]
        if new:
            cached.index.add(new)
            cached.versions.update({d.id: 1 for d in new})
        # Erased or expired cases (hybridcx.privacy) leave the search index too.
        for gone in set(cached.versions) - {c.id for c in rows}:
            cached.index.remove(gone)
            del cached.versions[gone]
        cached.signature = signature
        return cached.index

    async def answer(self, session: AsyncSession, workspace_id: str, query: str) -> Answer:
        """A cited answer from public articles, or answered=False when none is good enough."""
        index = await self.articles(session, workspace_id)
        kwargs: dict[str, Any] = {"audience": "public"}
        if self.answer_threshold is not None:
            kwargs["threshold"] = self.answer_threshold
        if self.answerer is None:
            return answer(query, index, **kwargs)
        # An LLM call blocks for up to its timeout: keep it off the event loop.
        return await asyncio.to_thread(answer, query, index, answerer=self.answerer, **kwargs)

    async def search(
        self,
        session: AsyncSession,
        workspace_id: str,
        query: str,
        *,
        k: int = 5,
        audience: str = "public",
    ) -> list[Hit]:
        index = await self.articles(session, workspace_id)
        return index.search(query, k, audience=audience)  # type: ignore[arg-type]

    async def similar_cases(
        self, session: AsyncSession, workspace_id: str, query: str, *, k: int = 3
    ) -> list[Hit]:
        index = await self.cases(session, workspace_id)
        return index.search(query, k, audience="all")
