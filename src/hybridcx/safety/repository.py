"""Loads what the output filter protects (hybridcx.pipeline.safety.output.ProtectedData), and guards the
knowledge answers customer text reaches outside the pipeline (help-centre search, agent drafts)."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.knowledge.engine.answer import Answer
from hybridcx.knowledge.engine.llm import SYSTEM_PROMPT
from hybridcx.knowledge.service import KnowledgeService, articles_signature
from hybridcx.models import Article, Conversation, Customer, Message
from hybridcx.pipeline.safety.injection import classify
from hybridcx.pipeline.safety.output import EMAIL, ProtectedData

NO_ANSWER = Answer(text="", sources=(), confidence=0.0, answered=False)


# Per workspace: (articles signature, indexed ProtectedData). Rebuilt only when articles change.
_CACHE: dict[str, tuple[tuple[object, ...], ProtectedData]] = {}
# Built once: they run on every turn.
_NOTES = select(Message.text).where(
    Message.conversation_id == bindparam("conversation_id"), Message.internal.is_(True)
)


async def workspace_protected(session: AsyncSession, workspace_id: str) -> ProtectedData:
    """The system prompt and internal articles; emails of public articles are allowed. Cached
    per workspace until an article changes (a cheap signature query per turn)."""
    signature = await articles_signature(session, workspace_id)
    cached = _CACHE.get(workspace_id)
    if cached is not None and cached[0] == signature:
        return cached[1]
    protected = await _load_workspace(session, workspace_id)
    _CACHE[workspace_id] = (signature, protected)
    return protected


async def _load_workspace(session: AsyncSession, workspace_id: str) -> ProtectedData:
    protected = ProtectedData()
    protected.add("system_prompt", [SYSTEM_PROMPT])
    articles = await session.execute(
        select(Article.audience, Article.body).where(Article.workspace_id == workspace_id)
    )
    internal: list[str] = []
    for audience, body in articles:
        if audience == "public":
            protected.allowed_emails |= {e.lower() for e in EMAIL.findall(body)}
            protected.add_public([body])
        else:
            internal.append(body)
    protected.add("internal_article", internal)
    return protected


async def load_protected(
    session: AsyncSession, conv: Conversation, customer: Customer
) -> ProtectedData:
    """For one conversation's turn: the workspace's secrets plus its internal notes."""
    protected = ProtectedData(
        customer_email=customer.email or "",
        parent=await workspace_protected(session, conv.workspace_id),
    )
    notes = await session.execute(_NOTES, {"conversation_id": conv.id})
    protected.add("internal_note", [t for (t,) in notes])
    return protected


async def guarded_answer(
    knowledge: KnowledgeService, session: AsyncSession, workspace_id: str, query: str
) -> Answer:
    """``knowledge.answer`` for customer text that does not go through the pipeline: a flagged
    query gets no answer (and no LLM call); an answer that leaks protected text is dropped."""
    if classify(query).suspicious:
        return NO_ANSWER
    found = await knowledge.answer(session, workspace_id, query)
    if found.answered:
        protected = await workspace_protected(session, workspace_id)
        if protected.leaked(found.text) is not None:
            return NO_ANSWER
    return found
