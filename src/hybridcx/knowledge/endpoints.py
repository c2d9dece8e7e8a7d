"""Knowledge articles: staff manage them; customers see public ones through search and answers."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from sqlalchemy import select

from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import ArticleReader, ArticleWriter
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import Conflict, NotFound
from hybridcx.kit.ids import new_id, utcnow
from hybridcx.knowledge.schemas import ArticleWrite, article_read, slugify
from hybridcx.models import Article

router = APIRouter(prefix="/api/v1/articles", tags=["knowledge"])


@router.get("")
async def list_articles(
    staff: ArticleReader,
    runtime: RuntimeDep,
    audience: Literal["public", "internal"] | None = Query(default=None),
) -> dict[str, Any]:
    async with runtime.sessions() as session:
        stmt = select(Article).where(Article.workspace_id == staff.workspace_id)
        if audience:
            stmt = stmt.where(Article.audience == audience)
        rows = (await session.execute(stmt.order_by(Article.title))).scalars()
        return {"items": [article_read(a) for a in rows]}


@router.get("/{article_id}")
async def read_article(
    article_id: str, staff: ArticleReader, runtime: RuntimeDep
) -> dict[str, Any]:
    async with runtime.sessions() as session:
        return article_read(await _get(session, article_id, staff.workspace_id))


@router.post("", status_code=201)
async def create_article(
    body: ArticleWrite, staff: ArticleWriter, runtime: RuntimeDep
) -> dict[str, Any]:
    """Create an article (admins and supervisors). It is searchable at once."""
    async with transaction(runtime.sessions) as session:
        slug = body.slug or slugify(body.title)
        if await _by_slug(session, staff.workspace_id, slug) is not None:
            raise Conflict(f"An article with slug {slug!r} already exists.")
        article = Article(
            id=new_id(),
            workspace_id=staff.workspace_id,
            slug=slug,
            title=body.title,
            body=body.body,
            tags=body.tags,
            audience=body.audience,
            version=1,
        )
        session.add(article)
        await session.flush()
        return article_read(article)


@router.put("/{article_id}")
async def update_article(
    article_id: str, body: ArticleWrite, staff: ArticleWriter, runtime: RuntimeDep
) -> dict[str, Any]:
    """Replace an article's content; its version goes up by one."""
    async with transaction(runtime.sessions) as session:
        article = await _get(session, article_id, staff.workspace_id)
        slug = body.slug or article.slug
        other = await _by_slug(session, staff.workspace_id, slug)
        if other is not None and other.id != article.id:
            raise Conflict(f"An article with slug {slug!r} already exists.")
        article.slug, article.title, article.body = slug, body.title, body.body
        article.tags, article.audience = body.tags, body.audience
        article.version += 1
        article.updated_at = utcnow()
        await session.flush()
        return article_read(article)


@router.delete("/{article_id}", status_code=204)
async def delete_article(article_id: str, staff: ArticleWriter, runtime: RuntimeDep) -> Response:
    async with transaction(runtime.sessions) as session:
        await session.delete(await _get(session, article_id, staff.workspace_id))
    return Response(status_code=204)


async def _get(session: Any, article_id: str, workspace_id: str) -> Article:
    stmt = select(Article).where(Article.id == article_id, Article.workspace_id == workspace_id)
    article = (await session.execute(stmt)).scalar_one_or_none()
    if article is None:
        raise NotFound("Article not found.")
    return article  # type: ignore[no-any-return]


async def _by_slug(session: Any, workspace_id: str, slug: str) -> Article | None:
    stmt = select(Article).where(Article.workspace_id == workspace_id, Article.slug == slug)
    return (await session.execute(stmt)).scalar_one_or_none()  # type: ignore[no-any-return]
