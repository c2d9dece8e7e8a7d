"""Knowledge articles: staff manage them; customers see public ones through search and answers."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Response

from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import ArticleReader, ArticleWriter
from hybridcx.kit.db import transaction
from hybridcx.knowledge import service
from hybridcx.knowledge.schemas import ArticleList, ArticleRead, ArticleWrite, article_read

router = APIRouter(prefix="/api/v1/articles", tags=["knowledge"])


@router.get("", response_model=ArticleList)
async def list_articles(
    staff: ArticleReader,
    runtime: RuntimeDep,
    audience: Literal["public", "internal"] | None = Query(default=None),
) -> dict[str, Any]:
    async with runtime.sessions() as session:
        rows = await service.list_articles(session, staff.workspace_id, audience)
        return {"items": [article_read(a) for a in rows]}


@router.get("/{article_id}", response_model=ArticleRead)
async def read_article(
    article_id: str, staff: ArticleReader, runtime: RuntimeDep
) -> dict[str, Any]:
    async with runtime.sessions() as session:
        return article_read(await service.get_article(session, article_id, staff.workspace_id))


@router.post("", status_code=201, response_model=ArticleRead)
async def create_article(
    body: ArticleWrite, staff: ArticleWriter, runtime: RuntimeDep
) -> dict[str, Any]:
    """Create an article (admins and supervisors). It is searchable at once."""
    async with transaction(runtime.sessions) as session:
        return article_read(await service.create_article(session, staff.workspace_id, body))


@router.put("/{article_id}", response_model=ArticleRead)
async def update_article(
    article_id: str, body: ArticleWrite, staff: ArticleWriter, runtime: RuntimeDep
) -> dict[str, Any]:
    """Replace an article's content; its version goes up by one."""
    async with transaction(runtime.sessions) as session:
        article = await service.update_article(session, article_id, staff.workspace_id, body)
        return article_read(article)


@router.delete("/{article_id}", status_code=204)
async def delete_article(article_id: str, staff: ArticleWriter, runtime: RuntimeDep) -> Response:
    async with transaction(runtime.sessions) as session:
        await service.delete_article(session, article_id, staff.workspace_id)
    return Response(status_code=204)
