"""Resolved conversations become searchable past cases (PII redacted before indexing, with the
full analyzer: names anywhere, not only announced ones)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from hybridcx.assist.summary import Summary
from hybridcx.kit.ids import new_id
from hybridcx.models import Case, Conversation, Message
from hybridcx.privacy.pii import redact as mask_pii


async def case_from(
    conv: Conversation, messages: Sequence[Message], summary: Summary
) -> Case | None:
    """None when there is nothing to learn from (no customer question or no human answer).
    The masking (spaCy's named entities, milliseconds per text) runs in a worker thread: the
    event loop keeps serving customers while an agent's resolve is masked."""
    asked = [m.text for m in messages if m.author == "customer" and not m.internal]
    answered = [m.text for m in messages if m.author == "agent" and not m.internal]
    if not asked or not answered:
        return None
    question, resolution = await asyncio.to_thread(
        _masked, " ".join(asked[:3]), " ".join(answered[-3:])
    )
    return Case(
        id=new_id(),
        workspace_id=conv.workspace_id,
        conversation_id=conv.id,
        intent=(conv.ai_state or {}).get("topic") or (conv.routing or {}).get("intent"),
        question=question,
        resolution=resolution,
        outcome="resolved",
        category=summary.category,
    )


def _masked(question: str, resolution: str) -> tuple[str, str]:
    return mask_pii(question)[:4000], mask_pii(resolution)[:4000]
