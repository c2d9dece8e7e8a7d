"""Resolved conversations become searchable past cases (PII redacted before indexing, with the
full analyzer: names anywhere, not only announced ones)."""

from __future__ import annotations

from collections.abc import Sequence

from hybridcx.assist.summary import Summary
from hybridcx.kit.ids import new_id
from hybridcx.models import Case, Conversation, Message
from hybridcx.privacy.pii import redact as mask_pii


def case_from(conv: Conversation, messages: Sequence[Message], summary: Summary) -> Case | None:
    """None when there is nothing to learn from (no customer question or no human answer)."""
    asked = [m.text for m in messages if m.author == "customer" and not m.internal]
    answered = [m.text for m in messages if m.author == "agent" and not m.internal]
    if not asked or not answered:
        return None
    return Case(
        id=new_id(),
        workspace_id=conv.workspace_id,
        conversation_id=conv.id,
        intent=(conv.ai_state or {}).get("topic") or (conv.routing or {}).get("intent"),
        question=mask_pii(" ".join(asked[:3]))[:4000],
        resolution=mask_pii(" ".join(answered[-3:]))[:4000],
        outcome="resolved",
        category=summary.category,
    )
