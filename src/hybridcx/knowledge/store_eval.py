"""`hybridcx kb eval --database-url`: score retrieval through the server's knowledge service on
a real database (on PostgreSQL with pgvector: the shared vector store), not an in-memory index.

The FAQ is imported into a scratch workspace, searched, and deleted again.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, replace

from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hybridcx.kit.db import create_engine, session_factory, upgrade
from hybridcx.kit.ids import utcnow
from hybridcx.knowledge.engine.documents import Document
from hybridcx.knowledge.engine.index import Hit, SearchAudience
from hybridcx.knowledge.service import KnowledgeService
from hybridcx.models import Article, Workspace


@dataclass
class StoreSearcher:
    """The `search`/`len` an evaluation needs, over KnowledgeService on its own event loop."""

    loop: asyncio.AbstractEventLoop
    service: KnowledgeService
    database_url: str
    workspace_id: str
    prefix: str
    documents: int
    store: str = "in-process"
    engine: AsyncEngine | None = None
    sessions_factory: async_sessionmaker[AsyncSession] | None = None

    def __len__(self) -> int:
        return self.documents

    def search(self, query: str, k: int = 5, *, audience: SearchAudience = "public") -> list[Hit]:
        hits = self.loop.run_until_complete(self._search(query, k, audience))
        return [replace(h, doc_id=h.doc_id.removeprefix(self.prefix)) for h in hits]

    async def _search(self, query: str, k: int, audience: SearchAudience) -> list[Hit]:
        assert self.sessions_factory is not None
        async with self.sessions_factory() as session:
            return await self.service.search(
                session, self.workspace_id, query, k=k, audience=audience
            )

    @classmethod
    def open(cls, database_url: str, docs: list[Document]) -> StoreSearcher:
        loop = asyncio.new_event_loop()
        searcher = cls(
            loop, KnowledgeService(), database_url, "", f"{uuid.uuid4().hex[:8]}-", len(docs)
        )
        loop.run_until_complete(searcher._load(docs))
        return searcher

    async def _load(self, docs: list[Document]) -> None:
        self.engine = create_engine(self.database_url)
        self.sessions_factory = sessions = session_factory(self.engine)
        await upgrade(self.engine)
        workspace = Workspace(slug=f"kb-eval-{self.prefix[:-1]}", name="kb eval (scratch)")
        async with sessions() as session, session.begin():
            session.add(workspace)
            await session.flush()
            self.workspace_id = workspace.id
            now = utcnow()
            for doc in docs:
                session.add(
                    Article(
                        id=f"{self.prefix}{doc.id}"[:36],
                        workspace_id=workspace.id,
                        slug=f"{self.prefix}{doc.id}"[:120],
                        title=doc.title[:300],
                        body=doc.body,
                        audience=doc.audience,
                        tags=list(doc.tags),
                        version=1,
                        updated_at=now,
                    )
                )
        async with sessions() as session:
            await self.service.articles(session, self.workspace_id)  # sync + embed once
            store = await self.service.shared_store(session)
            self.store = "pgvector" if store is not None else "in-process"

    def close(self) -> None:
        self.loop.run_until_complete(self._drop())
        self.loop.close()

    async def _drop(self) -> None:
        assert self.sessions_factory is not None and self.engine is not None
        async with self.sessions_factory() as session, session.begin():
            if self.store == "pgvector":
                await session.execute(
                    text("DELETE FROM knowledge_passage_vectors WHERE workspace_id = :ws"),
                    {"ws": self.workspace_id},
                )
            await session.execute(delete(Article).where(Article.workspace_id == self.workspace_id))
            await session.execute(delete(Workspace).where(Workspace.id == self.workspace_id))
        await self.engine.dispose()
