"""What people do with a conversation: accept or take it over, reply, transfer, wrap up and
resolve (and what a resolution sets off: quality scoring, learning, surveys, CRM summaries)."""

from __future__ import annotations

from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.assist.cases import case_from
from hybridcx.assist.llm_summary import post_contact_summary
from hybridcx.assist.summary import Summary
from hybridcx.audit import record as audit
from hybridcx.auth import permissions
from hybridcx.auth.permissions import Perm
from hybridcx.auth.service import StaffPrincipal
from hybridcx.conversations import repository as repo
from hybridcx.conversations.common import NOT_FOUND, ConversationBase
from hybridcx.conversations.schemas import (
    TransferRequest,
    agent_ref,
    message_read,
)
from hybridcx.conversations.turns import topic_of
from hybridcx.improvement.service import record_resolution
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import (
    AlreadyClaimed,
    Conflict,
    ConversationClosed,
    Forbidden,
    NotFound,
    PayloadTooLarge,
)
from hybridcx.kit.events import (
    ConversationResolved,
    ConversationTransferred,
    ConversationUpdated,
    MessageCreated,
    MessageToSend,
    QueueUpdated,
    StatusLineToSend,
)
from hybridcx.kit.ids import utcnow
from hybridcx.kit.outbox import Outbox
from hybridcx.models import Conversation
from hybridcx.pipeline.base import (
    TranscriptLine,
)
from hybridcx.privacy.pii import redact_fast as mask_pii
from hybridcx.quality.scoring import score_finished
from hybridcx.queue.service import assign, dispatch, rank
from hybridcx.scripting.service import check_at_resolve
from hybridcx.surveys.service import offer_after_resolution

log = structlog.get_logger(__name__)


class ConversationHandling(ConversationBase):
    async def accept(self, conversation_id: str, principal: StaffPrincipal) -> dict[str, Any]:
        """An agent picks a queued conversation. Exclusive: a second accept gets 409."""
        return await self._claim(
            conversation_id, principal, via="accept", from_statuses=("queued",)
        )

    async def take_over(self, conversation_id: str, principal: StaffPrincipal) -> dict[str, Any]:
        """A supervisor takes a conversation from the AI, the queue or another agent."""
        permissions.check(principal, Perm.CONVERSATIONS_TAKEOVER)
        return await self._claim(
            conversation_id, principal, via="takeover", from_statuses=("bot", "queued", "assigned")
        )

    async def _claim(
        self,
        conversation_id: str,
        principal: StaffPrincipal,
        *,
        via: str,
        from_statuses: tuple[str, ...],
    ) -> dict[str, Any]:
        outbox = Outbox()
        async with transaction(self.rt.sessions) as session:
            conv = await self._staff_conversation(session, conversation_id, principal)
            me = await self._me(session, principal)
            previous = (conv.status, conv.assigned_agent_id)
            if conv.status == "resolved":
                raise ConversationClosed("This conversation is already resolved.")
            if conv.status == "assigned" and conv.assigned_agent_id == me.id:
                raise Conflict("You already have this conversation.")
            if conv.status not in from_statuses:
                raise self._claim_error(conv, via)
            if not await assign(
                session, outbox, conv, me, via=via, from_statuses=from_statuses, actor_id=me.id
            ):
                raise AlreadyClaimed("Someone else claimed this conversation first.")
            if via == "takeover":
                audit(
                    session,
                    action="conversation.takeover",
                    actor=principal,
                    target_type="conversation",
                    target_id=conv.id,
                    details={"from_status": previous[0], "from_agent_id": previous[1]},
                )
                repo.add_event(
                    session,
                    conv,
                    "conversation.taken_over",
                    actor="agent",
                    actor_id=me.id,
                    data={"from_status": previous[0], "from_agent_id": previous[1]},
                )
            state = await self._state(session, conv)
        await outbox.flush(self.rt)
        await self._deliver_status(conv.id)
        return state

    async def _deliver_status(self, conversation_id: str) -> None:
        """SMS and other channels that show status lines get "… has joined" (after commit)."""
        await self.rt.events.dispatch(self.rt, StatusLineToSend(conversation_id))

    @staticmethod
    def _claim_error(conv: Conversation, via: str) -> Exception:
        if conv.status == "assigned":
            return AlreadyClaimed("This conversation is already assigned to another agent.")
        if conv.status == "bot" and via == "accept":
            return Conflict("The AI is handling this conversation; a supervisor can take it over.")
        return Conflict(f"A {conv.status} conversation cannot be claimed this way.")

    def _require_handler(self, conv: Conversation, principal: StaffPrincipal) -> None:
        if conv.status == "resolved":
            raise ConversationClosed("This conversation is resolved.")
        if permissions.can_handle(principal, conv):
            return
        if conv.status == "assigned":
            raise Forbidden("This conversation is assigned to another agent.")
        raise Conflict("Accept this conversation before acting on it.")

    async def reply(
        self, conversation_id: str, principal: StaffPrincipal, text: str, *, internal: bool
    ) -> dict[str, Any]:
        if len(text) > self.rt.max_message_chars:
            raise PayloadTooLarge(
                f"Message is {len(text)} characters; the limit is {self.rt.max_message_chars}."
            )
        outbox = Outbox()
        async with transaction(self.rt.sessions) as session:
            conv = await self._staff_conversation(session, conversation_id, principal)
            if internal:
                if conv.status == "resolved":
                    raise ConversationClosed("This conversation is resolved.")
            else:
                self._require_handler(conv, principal)
            msg = repo.add_message(
                session,
                conv,
                author="agent",
                text=text,
                internal=internal,
                agent_id=principal.agent_id,
            )
            conv.updated_at = utcnow()
            await session.flush()
            read = message_read(msg, {principal.agent_id: principal.name})
            outbox.emit(
                MessageCreated(conv.workspace_id, conv.id, to_customer=not internal, message=read)
            )
        await outbox.flush(self.rt)
        if not internal:
            # Email, SMS, …: the reply goes out through the conversation's channel, after commit.
            sent: dict[str, Any] = await self.rt.events.ask(
                self.rt, MessageToSend(conv, read), default=read
            )
            return sent
        return read

    async def transfer(
        self, conversation_id: str, principal: StaffPrincipal, body: TransferRequest
    ) -> dict[str, Any]:
        outbox = Outbox()
        async with transaction(self.rt.sessions) as session:
            conv = await self._staff_conversation(session, conversation_id, principal)
            self._require_handler(conv, principal)
            from_agent = conv.assigned_agent_id
            audit(
                session,
                action="conversation.transfer",
                actor=principal,
                target_type="conversation",
                target_id=conv.id,
                details={"from_agent_id": from_agent, "to_agent_id": body.agent_id},
            )
            if body.note:
                repo.add_message(
                    session,
                    conv,
                    author="agent",
                    text=body.note,
                    internal=True,
                    agent_id=principal.agent_id,
                )
            if body.tier is not None:
                conv.tier = body.tier
            data: dict[str, Any] = {
                "from_agent_id": from_agent,
                "note": body.note,
                "tier": conv.tier,
            }
            if body.agent_id:
                target = await repo.get_agent(
                    session, body.agent_id, workspace_id=conv.workspace_id
                )
                if target is None:
                    raise NotFound("No such agent in this workspace.")
                if target.role not in permissions.HANDLING_ROLES or (
                    conv.team is not None
                    and target.role == "agent"
                    and conv.team not in (target.teams or [])
                ):
                    raise Conflict(f"{target.name} cannot take this conversation (role or team).")
                if target.id == from_agent:
                    raise Conflict("The conversation is already with that agent.")
                conv.status, conv.assigned_agent_id, conv.assigned_at = (
                    "assigned",
                    target.id,
                    utcnow(),
                )
                data.update(to_agent_id=target.id, to="agent")
                repo.add_event(
                    session,
                    conv,
                    "conversation.transferred",
                    actor="agent",
                    actor_id=principal.agent_id,
                    data=data,
                )
                repo.add_event(
                    session,
                    conv,
                    "conversation.assigned",
                    actor="agent",
                    actor_id=principal.agent_id,
                    data={"agent_id": target.id, "agent_name": target.name, "via": "transfer"},
                )
                repo.add_message(
                    session,
                    conv,
                    author="system",
                    text=f"{target.name} has joined the conversation.",
                )
                target_ref = agent_ref(target)
            else:
                ws = await repo.get_workspace(session, conv.workspace_id)
                policy = self.rt.policies.policy(ws.slug)
                conv.status, conv.assigned_agent_id, conv.queued_at = "queued", None, utcnow()
                conv.required_skill = body.skill or policy.skill_by_tier.get(conv.tier)
                customer = await repo.get_customer(session, conv.customer_id)
                rank(conv, vip=customer.vip, weights=policy.queue)
                handoff = dict(conv.handoff or {})
                handoff["declined_by"] = sorted(
                    {*handoff.get("declined_by", []), *([from_agent] if from_agent else [])}
                )
                if body.note:
                    handoff["transfer_note"] = body.note
                conv.handoff = handoff
                data.update(to="queue", skill=conv.required_skill)
                repo.add_event(
                    session,
                    conv,
                    "conversation.transferred",
                    actor="agent",
                    actor_id=principal.agent_id,
                    data=data,
                )
                repo.add_event(
                    session,
                    conv,
                    "conversation.queued",
                    actor="agent",
                    actor_id=principal.agent_id,
                    data={"tier": conv.tier, "reasons": ["transfer"], "skill": conv.required_skill},
                )
                target_ref = None
            conv.updated_at = utcnow()
            await session.flush()
            state = await self._state(session, conv)
            outbox.emit(
                ConversationUpdated(conv.workspace_id, conv.id, to_staff=False, conversation=state)
            )
            outbox.emit(
                ConversationTransferred(conv.workspace_id, conversation=state, to_agent=target_ref)
            )
            outbox.emit(QueueUpdated(conv.workspace_id))
        await outbox.flush(self.rt)
        if body.agent_id:
            await self._deliver_status(conv.id)
        await dispatch(self.rt, conv.workspace_id)
        return state

    async def _learn_from(
        self, session: AsyncSession, conv: Conversation, *, resolved: bool = True
    ) -> Summary:
        """The post-contact summary, and a masked past case for agents' future searches."""
        messages = await repo.list_messages(session, conv.id, include_internal=False)
        customer = await repo.get_customer(session, conv.customer_id)
        summary = await post_contact_summary(
            self.rt.summary_writer,
            [TranscriptLine(m.author, m.text) for m in messages],  # type: ignore[arg-type]
            customer_name=customer.name,
            intent=topic_of(conv),
            reasons=(conv.routing or {}).get("reasons", []),
            resolved=resolved,
            categories=self.rt.policies.policy(
                await repo.workspace_slug(session, conv.workspace_id)
            ).intent_categories,
        )
        case = await case_from(conv, messages, summary)
        if case is not None:
            session.add(case)
        return summary

    async def wrap_up(
        self, conversation_id: str, *, outcome: str, data: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The contact ended on the customer's side (a call hung up): save the post-contact
        summary and category on the conversation. One nobody from the team has (the AI's, or
        still queued) is resolved by the system; an agent's stays open for their wrap-up, with
        the summary as an internal note. Returns the saved summary."""
        outbox = Outbox()
        async with transaction(self.rt.sessions) as session:
            conv = await repo.get_conversation(session, conversation_id, lock=True)
            if conv is None:
                raise NotFound(NOT_FOUND)
            done = (conv.channel_meta or {}).get("wrap_up")
            if conv.status == "resolved" or done:  # a repeated status callback
                return dict(done or {})
            now = utcnow()
            summary = await self._learn_from(
                session, conv, resolved=conv.status in ("bot", "queued")
            )
            saved = {
                "summary": mask_pii(summary.text),
                "category": summary.category,
                "intent": topic_of(conv),
                "outcome": outcome,
                **(data or {}),
            }
            conv.channel_meta = {**(conv.channel_meta or {}), "wrap_up": saved}
            if conv.status in ("bot", "queued"):
                conv.status, conv.resolved_at = "resolved", now
                repo.add_event(
                    session,
                    conv,
                    "conversation.resolved",
                    actor="system",
                    data={"agent_id": None, **saved},
                )
            else:
                repo.add_event(session, conv, "conversation.summarized", actor="system", data=saved)
                note = repo.add_message(
                    session,
                    conv,
                    author="system",
                    text=f"Call ended. Summary: {saved['summary']} Category: {summary.category}.",
                    internal=True,
                )
                await session.flush()
                outbox.emit(
                    MessageCreated(
                        conv.workspace_id, conv.id, to_customer=False, message=message_read(note)
                    )
                )
            conv.updated_at = now
            await session.flush()
            state = await self._state(session, conv)
            if conv.status == "resolved":
                outbox.emit(ConversationResolved(conv.workspace_id, conversation=state))
            else:
                outbox.emit(
                    ConversationUpdated(
                        conv.workspace_id, conv.id, to_customer=False, conversation=state
                    )
                )
            outbox.emit(QueueUpdated(conv.workspace_id))
        await outbox.flush(self.rt)
        await score_finished(self.rt, conversation_id)  # when it was resolved here
        return saved

    async def resolve(self, conversation_id: str, principal: StaffPrincipal) -> dict[str, Any]:
        outbox = Outbox()
        async with transaction(self.rt.sessions) as session:
            conv = await self._staff_conversation(session, conversation_id, principal)
            self._require_handler(conv, principal)
            await check_at_resolve(self.rt, session, conv, principal)  # scripts
            now = utcnow()
            summary = await self._learn_from(session, conv)  # before any write: it may ask an LLM
            conv.status, conv.resolved_at, conv.updated_at = "resolved", now, now
            await record_resolution(session, self.rt, conv)  # a training example
            repo.add_event(
                session,
                conv,
                "conversation.resolved",
                actor="agent",
                actor_id=principal.agent_id,
                data={
                    "agent_id": conv.assigned_agent_id,
                    "summary": mask_pii(summary.text),
                    "category": summary.category,
                },
            )
            if conv.assigned_agent_id:
                me = await repo.get_agent(
                    session, conv.assigned_agent_id, workspace_id=conv.workspace_id
                )
                if me is not None:
                    me.idle_since = now
            await session.flush()
            state = await self._state(session, conv)
            outbox.emit(
                ConversationUpdated(conv.workspace_id, conv.id, to_staff=False, conversation=state)
            )
            outbox.emit(ConversationResolved(conv.workspace_id, conversation=state))
        await outbox.flush(self.rt)
        await offer_after_resolution(self.rt, conv.id)  # email, SMS, voice surveys
        await score_finished(self.rt, conv.id)
        await dispatch(self.rt, conv.workspace_id)
        return state
