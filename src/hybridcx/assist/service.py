"""Agent assist for a conversation people are handling: knowledge, similar past cases, a grounded
reply draft, next-best actions the agent can run in one call, and a running summary."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.assist.deps import AssistDeps
from hybridcx.assist.summary import summarize_conversation
from hybridcx.auth import permissions
from hybridcx.auth.service import StaffPrincipal
from hybridcx.conversations import repository as repo
from hybridcx.conversations.schemas import message_read
from hybridcx.flows.actions import AGENT_ACTIONS, describe_order, mask_email, slot_label
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import ConversationClosed, Forbidden, InvalidInput
from hybridcx.kit.events import MessageCreated, MessageToSend
from hybridcx.kit.ids import utcnow
from hybridcx.kit.outbox import Outbox
from hybridcx.models import Case, Conversation, Customer
from hybridcx.pipeline.base import TranscriptLine
from hybridcx.safety.repository import guarded_answer

# What an agent can do in one click; which ones an intent offers is the workspace policy's
# ``next_best_actions``.
ACTION_LABELS = AGENT_ACTIONS


# Below these, a suggestion is noise: an absolute floor, and a share of the best hit's score.
MIN_SCORE, MIN_SHARE_OF_BEST = 0.25, 0.6


def relevant(hits: list[Any]) -> list[Any]:
    best = max((h.score for h in hits), default=0.0)
    return [h for h in hits if h.score >= MIN_SCORE and h.score >= MIN_SHARE_OF_BEST * best]


class AssistService:
    def __init__(self, runtime: AssistDeps) -> None:
        self.rt = runtime

    async def for_conversation(self, conversation_id: str, staff: StaffPrincipal) -> dict[str, Any]:
        async with self.rt.sessions() as session:
            conv = await _conversation(session, conversation_id, staff)
            return await self.build(session, conv)

    async def build(self, session: AsyncSession, conv: Conversation) -> dict[str, Any]:
        messages = await repo.list_messages(session, conv.id, include_internal=False)
        customer = await repo.get_customer(session, conv.customer_id)
        # The latest real question: one-word turns like "agent" or "yes" say little.
        asked = [m.text for m in messages if m.author == "customer" and len(m.text.split()) >= 3]
        query = asked[-1] if asked else ""
        routing = conv.routing or {}
        knowledge, cases, draft = [], [], None
        if query:
            hits = relevant(
                await self.rt.knowledge.search(
                    session, conv.workspace_id, query, k=3, audience="all"
                )
            )
            knowledge = [
                {
                    "title": h.title,
                    "heading": " > ".join(h.heading_path),
                    "text": h.text,
                    "url": h.url,
                    "score": round(float(h.score), 4),
                }
                for h in hits
            ]
            cases = await self._similar_cases(session, conv, query)
            draft = await self._draft(session, conv, customer, query)
        intent = (conv.ai_state or {}).get("topic") or routing.get("intent")
        policy = self.rt.policies.policy(await repo.workspace_slug(session, conv.workspace_id))
        summary = summarize_conversation(
            [TranscriptLine(m.author, m.text) for m in messages],  # type: ignore[arg-type]
            customer_name=customer.name,
            intent=intent,
            reasons=routing.get("reasons", []),
            resolved=conv.status == "resolved",
            categories=policy.intent_categories,
        )
        actions = [
            {"action": a, "label": ACTION_LABELS[a], "intent": intent}
            for a in policy.next_best_actions.get(intent or "", [])
        ]
        return {
            "conversation_id": conv.id,
            "query": query,
            "knowledge": knowledge,
            "similar_cases": cases,
            "draft": draft,
            "next_best_actions": actions,
            "summary": summary.text,
            "category": summary.category,
        }

    async def _similar_cases(
        self, session: AsyncSession, conv: Conversation, query: str
    ) -> list[dict[str, Any]]:
        hits = await self.rt.knowledge.similar_cases(session, conv.workspace_id, query, k=4)
        ids = [h.doc_id for h in hits]
        rows = {
            c.id: c
            for c in (await session.execute(select(Case).where(Case.id.in_(ids)))).scalars()
            if c.conversation_id != conv.id
        }
        return [
            {
                "case_id": h.doc_id,
                "question": rows[h.doc_id].question,
                "resolution": rows[h.doc_id].resolution,
                "category": rows[h.doc_id].category,
                "score": round(float(h.score), 4),
            }
            for h in hits
            if h.doc_id in rows
        ][:3]

    async def _draft(
        self, session: AsyncSession, conv: Conversation, customer: Customer, query: str
    ) -> dict[str, Any]:
        """A reply grounded in public knowledge, for the agent to edit; says so when it is not."""
        first = customer.name.split()[0] if customer.name.strip() else "there"
        # an injection in the customer's text drafts nothing from the LLM.
        found = await guarded_answer(self.rt.knowledge, session, conv.workspace_id, query)
        if found.answered:
            return {
                "text": f"Hi {first}, {found.text}",
                "grounded": True,
                "sources": [{"title": h.title, "url": h.url} for h in found.sources],
            }
        return {
            "text": f"Hi {first}, thanks for your patience. I'm looking into this for you now.",
            "grounded": False,
            "sources": [],
        }

    async def run_action(
        self, conversation_id: str, staff: StaffPrincipal, action: str
    ) -> dict[str, Any]:
        """Run a next-best action. Results that are for the agent become an internal note; a
        password reset also tells the customer it was sent."""
        if action not in ACTION_LABELS:
            raise InvalidInput(f"Unknown action {action!r}; one of {sorted(ACTION_LABELS)}.")
        outbox = Outbox()
        async with transaction(self.rt.sessions) as session:
            conv = await _conversation(session, conversation_id, staff)
            if conv.status == "resolved":
                raise ConversationClosed("This conversation is resolved.")
            if not permissions.can_handle(staff, conv):
                raise Forbidden("Accept this conversation before running actions on it.")
            customer = await repo.get_customer(session, conv.customer_id)
            backend = self.rt.backend_factory(session, conv.workspace_id)
            if not customer.email:  # known only by phone (SMS, calls)
                raise InvalidInput("This customer has no email address on record.")
            note, to_customer = await _execute(action, backend, customer.email)
            created = []
            if to_customer:
                created.append(
                    repo.add_message(
                        session, conv, author="agent", text=to_customer, agent_id=staff.agent_id
                    )
                )
            created.append(
                repo.add_message(
                    session, conv, author="agent", text=note, internal=True, agent_id=staff.agent_id
                )
            )
            repo.add_event(
                session,
                conv,
                "assist.action",
                actor="agent",
                actor_id=staff.agent_id,
                data={"action": action},
            )
            await session.flush()
            for m in created:
                read = message_read(m, {staff.agent_id: staff.name})
                outbox.emit(
                    MessageCreated(
                        conv.workspace_id, conv.id, to_customer=not m.internal, message=read
                    )
                )
        await outbox.flush(self.rt)
        if to_customer:  # channels: SMS, email, … get it through the conversation's channel
            message = message_read(created[0], {staff.agent_id: staff.name})
            await self.rt.events.dispatch(self.rt, MessageToSend(conv, message))
        return {"action": action, "result": note, "sent_to_customer": to_customer}


async def _execute(action: str, backend: Any, email: str) -> tuple[str, str | None]:
    if action == "send_password_reset":
        if not await backend.send_password_reset(email):
            return f"No account found for {email}; nothing sent.", None
        return (
            f"Password reset link sent to {email}.",
            f"I've sent a password reset link to {mask_email(email)}.",
        )
    if action == "lookup_orders":
        orders = await backend.orders_for(email)
        if not orders:
            return f"No orders found for {email}.", None
        return "Orders: " + " | ".join(describe_order(o) for o in orders[:5]), None
    if action == "lookup_account":
        account = await backend.account_for(email)
        if account is None:
            return f"No account found for {email}.", None
        return (
            f"Account {account.account_number}: {account.status}, plan {account.plan}, balance ${account.balance:.2f}.",
            None,
        )
    if action == "lookup_appointments":
        booked = await backend.appointments_for(email, after=utcnow())
        if not booked:
            return f"No upcoming appointments for {email}.", None
        return "Appointments: " + "; ".join(
            slot_label(s.starts_at, s.location) for s in booked
        ), None
    slots = await backend.free_slots(after=utcnow(), limit=4)
    if not slots:
        return "No free appointment slots in the next week.", None
    listed = "; ".join(
        f"{i}) {slot_label(s.starts_at, s.location)}" for i, s in enumerate(slots, 1)
    )
    return (
        f"Offered slots: {listed}",
        f"These appointment times are free: {listed}. Which suits you?",
    )


async def _conversation(
    session: AsyncSession, conversation_id: str, staff: StaffPrincipal
) -> Conversation:
    conv = await repo.get_conversation(session, conversation_id, workspace_id=staff.workspace_id)
    return permissions.check_conversation(staff, conv)
