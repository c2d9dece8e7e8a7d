"""Rebuilding the keyed search index (``hybridcx search reindex``): after the blind-index key
changed, or to index the messages stored before the index existed (migration 0026)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hybridcx.kit.blind_index import INDEXED_AUTHORS, rows
from hybridcx.kit.db import transaction
from hybridcx.kit.sealed import session_keyring
from hybridcx.models import Customer, Message, SearchToken, Workspace

BATCH = 500


async def reindex(
    sessions: async_sessionmaker[AsyncSession],
    *,
    workspace_id: str | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Replace each workspace's index with one built from the stored text under the current
    key. Runs in batches (one transaction each): searches may miss words until it is done."""
    async with sessions() as session:
        stmt = select(Workspace.id, Workspace.slug)
        if workspace_id:
            stmt = stmt.where(Workspace.id == workspace_id)
        workspaces = list((await session.execute(stmt)).all())
    totals = {"messages": 0, "customers": 0, "tokens": 0}
    for ws_id, slug in workspaces:
        async with transaction(sessions) as session:
            await session.execute(delete(SearchToken).where(SearchToken.workspace_id == ws_id))
        counts = await _messages(sessions, ws_id)
        counts2 = await _customers(sessions, ws_id)
        for k, v in (*counts.items(), *counts2.items()):
            totals[k] += v
        if progress:
            progress(slug, counts["messages"] + counts2["customers"])
    return totals


async def _insert(session: AsyncSession, values: list[dict[str, Any]]) -> None:
    if values:
        await session.execute(insert(SearchToken), values)


async def _messages(sessions: async_sessionmaker[AsyncSession], ws_id: str) -> dict[str, int]:
    after, n, tokens = 0, 0, 0
    while True:
        async with transaction(sessions) as session:
            stmt = (
                select(Message)
                .where(
                    Message.workspace_id == ws_id,
                    Message.author.in_(sorted(INDEXED_AUTHORS)),
                    Message.seq > after,
                )
                .order_by(Message.seq)
                .limit(BATCH)
            )
            batch = list((await session.execute(stmt)).scalars())
            if not batch:
                return {"messages": n, "tokens": tokens}
            ring = session_keyring(session)
            values: list[dict[str, Any]] = []
            for m in batch:
                values += rows(ring, ws_id, m.text, conversation_id=m.conversation_id)
            await _insert(session, values)
            after, n, tokens = batch[-1].seq, n + len(batch), tokens + len(values)


async def _customers(sessions: async_sessionmaker[AsyncSession], ws_id: str) -> dict[str, int]:
    after, n, tokens = "", 0, 0
    while True:
        async with transaction(sessions) as session:
            stmt = (
                select(Customer)
                .where(
                    Customer.workspace_id == ws_id,
                    Customer.erased_at.is_(None),
                    Customer.id > after,
                )
                .order_by(Customer.id)
                .limit(BATCH)
            )
            batch = list((await session.execute(stmt)).scalars())
            if not batch:
                return {"customers": n, "tokens": tokens}
            ring = session_keyring(session)
            values: list[dict[str, Any]] = []
            for c in batch:
                values += rows(ring, ws_id, c.name, customer_id=c.id)
            await _insert(session, values)
            after, n, tokens = batch[-1].id, n + len(batch), tokens + len(values)
