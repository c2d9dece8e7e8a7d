from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hybridcx.conversations.schemas import clean_text
from hybridcx.kit.schemas import ReadModel
from hybridcx.kit.time import iso
from hybridcx.models import Article

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,118}$")


class ArticleWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=200_000)
    slug: str | None = Field(default=None, description="Defaults to one made from the title.")
    tags: list[str] = Field(default_factory=list, max_length=30)
    audience: Literal["public", "internal"] = "public"

    @field_validator("title", "body")
    @classmethod
    def valid_text(cls, value: str) -> str:
        return clean_text(value)

    @field_validator("slug")
    @classmethod
    def valid_slug(cls, value: str | None) -> str | None:
        if value is not None and not SLUG.match(value):
            raise ValueError("use lowercase letters, digits and dashes")
        return value


def slugify(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug[:100] or "article"


class ArticleRead(ReadModel):
    id: str
    slug: str
    title: str
    body: str
    tags: list[str]
    audience: str
    version: int
    url: str = Field(description="The article's page in the help center.")
    updated_at: str


class ArticleList(ReadModel):
    items: list[ArticleRead]


def article_read(a: Article) -> dict[str, Any]:
    return {
        "id": a.id,
        "slug": a.slug,
        "title": a.title,
        "body": a.body,
        "tags": list(a.tags or []),
        "audience": a.audience,
        "version": a.version,
        "url": f"/help/articles/{a.slug}",
        "updated_at": iso(a.updated_at),
    }
