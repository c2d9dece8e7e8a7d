"""Loads what the output filter protects for one turn (hybridcx.safety.output.ProtectedData)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.knowledge.engine.llm import SYSTEM_PROMPT
from hybridcx.models import Article, Conversation, Customer, Message
from hybridcx.safety.output import EMAIL, ProtectedData


async def load_protected(
    session: AsyncSession, conv: Conversation, customer: Customer
) -> ProtectedData:
    protected = ProtectedData(customer_email=customer.email)
    protected.add("system_prompt", [SYSTEM_PROMPT])
    notes = await session.execute(
        select(Message.text).where(Message.conversation_id == conv.id, Message.internal.is_(True))
    )
    protected.add("internal_note", [t for (t,) in notes])
    articles = await session.execute(
        select(Article.audience, Article.body).where(Article.workspace_id == conv.workspace_id)
    )
    internal: list[str] = []
    for audience, body in articles:
        if audience == "public":
            protected.allowed_emails |= {e.lower() for e in EMAIL.findall(body)}
        else:
            internal.append(body)
    protected.add("internal_article", internal)
    return protected
