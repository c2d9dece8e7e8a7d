"""The knowledge engine over the database: per-workspace hybrid indexes kept in step with the
articles and cases tables, incrementally (only changed documents are re-embedded).

Each server process keeps its own in-memory indexes; the workspace's knowledge revision (a
counter database triggers bump with every article change, migration 0036) tells when another
process changed the articles: one primary-key read per turn, however many articles there are.
On PostgreSQL with pgvector the article vectors live in one shared table instead
(`vector_store.PgVectorStore`): each process keeps only the documents and BM25 postings (no
embedding), and an article is embedded once per deployment.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.kit.errors import Conflict, NotFound
from hybridcx.kit.ids import new_id, utcnow
from hybridcx.knowledge.engine.answer import Answer, Answerer, answer, answer_from_hits
from hybridcx.knowledge.engine.documents import Document
from hybridcx.knowledge.engine.index import Hit, KnowledgeIndex, SearchAudience
from hybridcx.knowledge.repository import public_article
from hybridcx.knowledge.schemas import ArticleWrite, slugify
from hybridcx.knowledge.vector_store import PgVectorStore, vector_store_status
from hybridcx.models import Article, Case, Workspace
from hybridcx.pipeline.base import ArticleRef, KnowledgeAnswer

log = structlog.get_logger(__name__)

#: Candidates read from each ranking (HNSW nearest passages, BM25) before fusing them.
SHARED_CANDIDATES = 50

_SIGNATURE = select(Workspace.knowledge_revision).where(Workspace.id == bindparam("workspace_id"))
#: Articles whose content is read at once when the revision moved (the rest keep theirs).
_LOAD_CHUNK = 2000


async def articles_signature(session: AsyncSession, workspace_id: str) -> tuple[object, ...]:
    """What changes whenever a workspace's articles do: its knowledge revision. Read once per
    session: the knowledge index and the output filter of a turn both ask."""
    memo = session.info.setdefault("hybridcx_articles_signature", {})
    if workspace_id not in memo:
        revision = (await session.execute(_SIGNATURE, {"workspace_id": workspace_id})).scalar()
        memo[workspace_id] = (revision,)  # None: no such workspace (so no articles)
    return memo[workspace_id]  # type: ignore[no-any-return]


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
        self,
        *,
        answer_threshold: float | None = None,
        answerer: Answerer | None = None,
        shared_vectors: bool = True,
        embedder: Any = None,
    ) -> None:
        """``answerer`` is the generative one when an LLM is configured (extractive otherwise).
        ``shared_vectors``: on PostgreSQL with pgvector, keep article vectors in the shared
        table (False: always the in-process index). ``embedder``: MiniLM unless given."""
        self.answer_threshold = answer_threshold
        self.answerer = answerer
        self.embedder = embedder
        self._articles: dict[str, _Cached] = {}
        self._cases: dict[str, _Cached] = {}
        self._want_shared = shared_vectors
        self._store: PgVectorStore | None = None
        self._store_checked = False

    async def shared_store(self, session: AsyncSession) -> PgVectorStore | None:
        """The pgvector store when this database has one (checked once per process)."""
        if not self._store_checked:
            reason = await vector_store_status(session) if self._want_shared else "turned off"
            if reason is None:
                self._store = PgVectorStore("articles")
                log.info("knowledge.vector_store", store="pgvector")
            else:
                log.info("knowledge.vector_store", store="in-process", reason=reason)
            self._store_checked = True
        return self._store

    async def articles(self, session: AsyncSession, workspace_id: str) -> KnowledgeIndex:
        store = await self.shared_store(session)
        cached = self._articles.get(workspace_id)
        if cached is None:
            index = KnowledgeIndex(self.embedder, embed_locally=store is None)
            cached = self._articles[workspace_id] = _Cached(index=index)
        signature = await articles_signature(session, workspace_id)
        if signature == cached.signature:
            return cached.index
        wanted, removed = await self._changed_articles(session, workspace_id, cached)
        loaded: dict[str, Article] = {}
        for start in range(0, len(wanted), _LOAD_CHUNK):
            chunk = wanted[start : start + _LOAD_CHUNK]
            rows = await session.execute(
                select(Article).where(Article.workspace_id == workspace_id, Article.id.in_(chunk))
            )
            loaded.update((row.id, row) for row in rows.scalars())
        # In the order of the id query, as the whole table was read before (ties rank by it);
        # one deleted meanwhile is not loaded (the next revision removes it).
        changed = [article_id for article_id in wanted if article_id in loaded]
        docs = [article_document(loaded[article_id]) for article_id in changed]
        cached.versions.update((article_id, loaded[article_id].version) for article_id in changed)
        # One batch: the index embeds and sweeps unused vectors once, not once per article
        # (a first load of 100,000 articles one by one was quadratic).
        cached.index.add(docs)
        for gone in removed:
            cached.index.remove(gone)
            del cached.versions[gone]
        if store is not None:
            await store.sync(
                session.bind,  # type: ignore[arg-type]
                workspace_id,
                cached.index,
                changed=changed,
                removed=removed,
            )
        cached.signature = signature
        return cached.index

    @staticmethod
    async def _changed_articles(
        session: AsyncSession, workspace_id: str, cached: _Cached
    ) -> tuple[list[str], set[str]]:
        """Ids of the articles to read again (new, or another version than the index holds)
        and of those gone. Only ids and versions of the unchanged ones are read."""
        current = await session.execute(
            select(Article.id, Article.version).where(Article.workspace_id == workspace_id)
        )
        seen: set[str] = set()
        changed: list[str] = []
        for article_id, version in current:
            seen.add(article_id)
            if cached.versions.get(article_id) != version or article_id not in cached.index:
                changed.append(article_id)
        return changed, set(cached.versions) - seen

    async def cases(self, session: AsyncSession, workspace_id: str) -> KnowledgeIndex:
        # Past cases stay in the in-process index: internal, per workspace, and few per day.
        cached = self._cases.setdefault(workspace_id, _Cached(index=KnowledgeIndex(self.embedder)))
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
        kwargs: dict[str, Any] = {}
        if self.answer_threshold is not None:
            kwargs["threshold"] = self.answer_threshold
        if not index.embed_locally:
            hits = await self._shared_search(session, workspace_id, index, query, 5, "public")
            if self.answerer is None:
                return answer_from_hits(query, hits, **kwargs)
            return await asyncio.to_thread(
                answer_from_hits, query, hits, answerer=self.answerer, **kwargs
            )
        if self.answerer is None:
            return answer(query, index, audience="public", **kwargs)
        # An LLM call blocks for up to its timeout: keep it off the event loop.
        return await asyncio.to_thread(
            answer, query, index, answerer=self.answerer, audience="public", **kwargs
        )

    async def _shared_search(
        self,
        session: AsyncSession,
        workspace_id: str,
        index: KnowledgeIndex,
        query: str,
        k: int,
        audience: SearchAudience,
    ) -> list[Hit]:
        store = self._store
        if store is None or not query.strip() or not len(index):
            return []
        qvec = index.query_vector(query)
        bm25 = index.lexical_scores(query)
        lexical = index.lexical_top(query, SHARED_CANDIDATES, audience=audience, scores=bm25)
        dense = await store.dense_scores(
            session,
            workspace_id,
            qvec,
            n=SHARED_CANDIDATES,
            public_only=audience == "public",
            also=lexical,
        )
        return index.fuse(query, dense, k, audience=audience, bm25=bm25)

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
        if not index.embed_locally:
            return await self._shared_search(
                session,
                workspace_id,
                index,
                query,
                k,
                audience,  # type: ignore[arg-type]
            )
        return index.search(query, k, audience=audience)  # type: ignore[arg-type]

    async def similar_cases(
        self, session: AsyncSession, workspace_id: str, query: str, *, k: int = 3
    ) -> list[Hit]:
        index = await self.cases(session, workspace_id)
        return index.search(query, k, audience="all")


async def list_articles(
    session: AsyncSession, workspace_id: str, audience: str | None = None
) -> list[Article]:
    """The workspace's articles by title, of one audience when given."""
    stmt = select(Article).where(Article.workspace_id == workspace_id)
    if audience:
        stmt = stmt.where(Article.audience == audience)
    return list((await session.execute(stmt.order_by(Article.title))).scalars())


async def get_article(session: AsyncSession, article_id: str, workspace_id: str) -> Article:
    """The workspace's article; 404 otherwise."""
    stmt = select(Article).where(Article.id == article_id, Article.workspace_id == workspace_id)
    article = (await session.execute(stmt)).scalar_one_or_none()
    if article is None:
        raise NotFound("Article not found.")
    return article


async def _article_by_slug(session: AsyncSession, workspace_id: str, slug: str) -> Article | None:
    stmt = select(Article).where(Article.workspace_id == workspace_id, Article.slug == slug)
    return (await session.execute(stmt)).scalar_one_or_none()


async def create_article(session: AsyncSession, workspace_id: str, body: ArticleWrite) -> Article:
    """A new article (version 1); 409 when its slug is taken in the workspace."""
    slug = body.slug or slugify(body.title)
    if await _article_by_slug(session, workspace_id, slug) is not None:
        raise Conflict(f"An article with slug {slug!r} already exists.")
    article = Article(
        id=new_id(),
        workspace_id=workspace_id,
        slug=slug,
        title=body.title,
        body=body.body,
        tags=body.tags,
        audience=body.audience,
        version=1,
    )
    session.add(article)
    await session.flush()
    return article


async def update_article(
    session: AsyncSession, article_id: str, workspace_id: str, body: ArticleWrite
) -> Article:
    """Replace an article's content; its version goes up by one. 409 when the new slug is
    another article's."""
    article = await get_article(session, article_id, workspace_id)
    slug = body.slug or article.slug
    other = await _article_by_slug(session, workspace_id, slug)
    if other is not None and other.id != article.id:
        raise Conflict(f"An article with slug {slug!r} already exists.")
    article.slug, article.title, article.body = slug, body.title, body.body
    article.tags, article.audience = body.tags, body.audience
    article.version += 1
    article.updated_at = utcnow()
    await session.flush()
    return article


async def delete_article(session: AsyncSession, article_id: str, workspace_id: str) -> None:
    await session.delete(await get_article(session, article_id, workspace_id))


#: (workspace id, slug) -> (the knowledge revision it was read at, the article or None).
_FAQ_ARTICLES: dict[tuple[str, str], tuple[tuple[object, ...], ArticleRef | None]] = {}
_FAQ_ARTICLES_MAX = 10_000


class ArticleKnowledge:
    """The pipeline's KnowledgeSource over the articles table, for one workspace and turn.
    Internal articles never reach customers."""

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
        """The public article for an FAQ intent. Kept per process until the workspace's
        knowledge revision moves (any change to its articles, by any process), which the
        turn reads anyway: an FAQ answer costs no query of its own."""
        signature = await articles_signature(self.session, self.workspace_id)
        key = (self.workspace_id, slug)
        cached = _FAQ_ARTICLES.get(key)
        if cached is not None and cached[0] == signature:
            return cached[1]
        found = await public_article(self.session, self.workspace_id, slug)
        ref = (
            None
            if found is None
            else ArticleRef(found.slug, found.title, found.body, found.id, found.version)
        )
        if len(_FAQ_ARTICLES) >= _FAQ_ARTICLES_MAX:
            _FAQ_ARTICLES.clear()
        _FAQ_ARTICLES[key] = (signature, ref)
        return ref
