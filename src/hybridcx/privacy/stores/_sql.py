"""SQL helpers shared by the built-in stores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, delete
from sqlalchemy.ext.asyncio import AsyncSession

#: Rows per IN (...) list: under SQLite's bound-parameter limit.
CHUNK = 500


def chunks(ids: Sequence[str]) -> list[list[str]]:
    return [list(ids[i : i + CHUNK]) for i in range(0, len(ids), CHUNK)]


async def delete_where_in(session: AsyncSession, model: Any, column: Any, ids: list[str]) -> int:
    n = 0
    for part in chunks(ids):
        result = await session.execute(delete(model).where(column.in_(part)))
        n += result.rowcount or 0  # type: ignore[attr-defined]
    return n


async def rows(session: AsyncSession, stmt: Select[Any]) -> list[Any]:
    return list((await session.execute(stmt)).scalars().all())
