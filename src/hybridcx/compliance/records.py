"""The compliance record kept for regulators: per regulated turn, a ``compliance.recorded``
event (which rules applied and why, the disclosures given with their message ids, how the
customer was verified, the consequential actions requested); the report reads them back
together with the approval events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.conversations import repository as repo
from hybridcx.kit.time import iso
from hybridcx.models import Conversation, ConversationEvent, Message
from hybridcx.pipeline.base import TurnContext
from hybridcx.pipeline.policy import RoutingPolicy

RECORD_EVENTS = (
    "compliance.recorded",
    "approval.requested",
    "approval.decided",
    "action.requested",
    "safety.flagged",
    "safety.output_blocked",
    "script.checked",  # the agent script's required steps at resolve
)


def verification_of(conv: Conversation) -> dict[str, Any]:
    if conv.identity_verified:
        return {"verified": True, "method": "identity_hash"}
    method = (conv.ai_state or {}).get("identity_verified")
    return {"verified": bool(method), "method": method}


def record_turn(
    session: AsyncSession,
    conv: Conversation,
    ctx: TurnContext,
    created: Sequence[Message],
    policy: RoutingPolicy,
    *,
    turn_id: str | None,
) -> None:
    """Append the turn's compliance record (only regulated turns get one) and safety events."""
    if ctx.safety_flags:
        repo.add_event(
            session,
            conv,
            "safety.flagged",
            actor="ai",
            data={"turn_id": turn_id, "flags": list(ctx.safety_flags)},
        )
    if ctx.blocked_outputs:
        repo.add_event(
            session,
            conv,
            "safety.output_blocked",
            actor="ai",
            data={"turn_id": turn_id, "reasons": list(ctx.blocked_outputs)},
        )
    if not (ctx.compliance_rules or ctx.action_requests):
        return
    rules = policy.compliance.rules
    disclosures = [
        {"rule": name, "text": text, "message_id": m.id}
        for name in ctx.compliance_rules
        for text in rules[name].disclosures
        for m in created
        if m.author == "ai" and text.lower() in m.text.lower()
    ]
    repo.add_event(
        session,
        conv,
        "compliance.recorded",
        actor="ai",
        data={
            "turn_id": turn_id,
            "intent": ctx.intent,
            "rules": [
                {
                    "name": name,
                    "reason": rules[name].reason,
                    "ai_allowed": rules[name].ai_allowed,
                    "tier": rules[name].tier,
                }
                for name in ctx.compliance_rules
            ],
            "disclosures": disclosures,
            "verification": verification_of(conv),
            "actions": [
                {"action": r["action"], "status": r["status"], "amount": r.get("amount")}
                for r in ctx.action_requests
            ],
            "handoff": "compliance_rule" in ctx.reasons,
        },
    )


async def conversation_record(session: AsyncSession, conv: Conversation) -> dict[str, Any]:
    stmt = (
        select(ConversationEvent)
        .where(
            ConversationEvent.conversation_id == conv.id,
            ConversationEvent.type.in_(RECORD_EVENTS),
        )
        .order_by(ConversationEvent.seq)
    )
    events = (await session.execute(stmt)).scalars().all()
    rules: dict[str, dict[str, Any]] = {}
    disclosures: list[dict[str, Any]] = []
    for e in events:
        if e.type == "compliance.recorded":
            for r in e.data.get("rules", []):
                rules.setdefault(r["name"], r)
            disclosures += e.data.get("disclosures", [])
    return {
        "conversation_id": conv.id,
        "customer_id": conv.customer_id,
        "channel": conv.channel,
        "status": conv.status,
        "tier": conv.tier,
        "regulated": bool(rules),
        "rules": list(rules.values()),
        "disclosures": disclosures,
        "verification": verification_of(conv),
        # the last script check (script, adherence, steps done and missing)
        "script": next((e.data for e in reversed(events) if e.type == "script.checked"), None),
        "events": [
            {"type": e.type, "at": iso(e.created_at), "actor_id": e.actor_id, "data": e.data}
            for e in events
        ],
    }


async def records_in_window(
    session: AsyncSession, workspace_id: str, *, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Every conversation with a compliance record in [start, end)."""
    stmt = (
        select(ConversationEvent.conversation_id)
        .where(
            ConversationEvent.workspace_id == workspace_id,
            ConversationEvent.type == "compliance.recorded",
            ConversationEvent.created_at >= start,
            ConversationEvent.created_at < end,
        )
        .distinct()
    )
    ids = [cid for (cid,) in await session.execute(stmt)]
    out = []
    for cid in sorted(ids):
        conv = await repo.get_conversation(session, cid, workspace_id=workspace_id)
        if conv is not None:
            out.append(await conversation_record(session, conv))
    return out
