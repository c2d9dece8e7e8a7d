"""The customer's turn: a message in, the AI's answer out, exactly once.

A new web chat message and its AI turn commit together; if the AI step fails, the message is
committed on its own before the error goes on, so nothing a customer sent is lost. Other channels
(and retries) store the message first and then answer it (two phases, with an answer lease).
Conversations open here too: the opening turn (greeting, VIP or human-only routing) is a turn.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.approvals.service import record_action_requests
from hybridcx.auth import permissions
from hybridcx.auth.service import CustomerPrincipal, StaffPrincipal, staff_from_token
from hybridcx.compliance.records import record_turn
from hybridcx.conversations import repository as repo
from hybridcx.conversations.common import ConversationBase
from hybridcx.conversations.schemas import (
    message_read,
)
from hybridcx.customers.ai_optout import opt_out_if_asked
from hybridcx.experiments.variants import turn_policy
from hybridcx.hours import service as hours  # business hours, idle close
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import (
    Conflict,
    ConversationClosed,
    Forbidden,
    InvalidInput,
    PayloadTooLarge,
)
from hybridcx.kit.events import (
    AssistUpdated,
    ConversationQueued,
    ConversationUpdated,
    MessageCreated,
    QueueUpdated,
)
from hybridcx.kit.ids import hash_token, new_id, new_token, utcnow
from hybridcx.kit.outbox import Outbox
from hybridcx.knowledge.service import ArticleKnowledge
from hybridcx.models import Conversation, Customer, Inbox, Message
from hybridcx.ops import heartbeat
from hybridcx.pipeline.base import (
    CustomerProfile,
    TranscriptLine,
    TurnContext,
    TurnResult,
    TurnServices,
)
from hybridcx.pipeline.policy import RoutingPolicy
from hybridcx.pipeline.steps.handoff import build_handoff
from hybridcx.privacy.pii import mask_payment_data
from hybridcx.queue.service import dispatch, rank
from hybridcx.safety.repository import load_protected
from hybridcx.tags.service import apply_ai_tags

log = structlog.get_logger(__name__)

CLOSED_TO_MESSAGES = "This conversation is resolved; start a new one to continue."
STAFF_POSTS_REPLIES = "Only the customer posts here; staff reply with POST .../replies."
# Intents about the conversation itself rather than the customer's issue.
META_INTENTS = frozenset({"human_agent"})


#: ai_state key: how many other conversations the customer had started in the 7 days before.
PRIOR_CONTACTS = "prior_contacts"


def topic_of(conv: Conversation) -> str | None:
    """The first issue the AI was confident about (the latest turn may be just "agent")."""
    return (conv.ai_state or {}).get("topic") or (conv.routing or {}).get("intent")


ANSWER_LEASE_SECONDS = 30
#: How often a request waiting on another's answer tries to take the lease over.
LEASE_RETRY_SECONDS = 0.5
#: The recent public messages a turn reads (sentiment trend, the handoff's transcript).
TURN_WINDOW = 20


def _with_said(
    ai_state: dict[str, Any], transcript: Sequence[TranscriptLine], *, counted: bool
) -> dict[str, Any]:
    """ai_state with its running note of what the customer said: the first message and how
    many, kept up to date here because a turn reads only the recent messages."""
    state = dict(ai_state)
    said = state.get("said")
    if not isinstance(said, dict):
        lines = [line.text for line in transcript if line.author == "customer"]
        if lines:
            state["said"] = {"first": lines[0], "count": len(lines)}
    elif counted:
        state["said"] = {"first": said.get("first", ""), "count": int(said.get("count", 0)) + 1}
    return state


def _said_of(ai_state: dict[str, Any]) -> tuple[str, int] | None:
    said = ai_state.get("said")
    if isinstance(said, dict) and said.get("first"):
        return str(said["first"]), int(said.get("count", 1))
    return None


def profile_of(customer: Customer, conv: Conversation) -> CustomerProfile:
    return CustomerProfile(
        id=customer.id,
        name=customer.name,
        email=customer.email or "",
        phone=customer.phone,
        vip=customer.vip,
        lifetime_value=customer.lifetime_value,
        human_only=customer.human_only,
        # Signed widget identity, or a one-time code checked by a flow earlier in this chat.
        verified=conv.identity_verified or bool((conv.ai_state or {}).get("identity_verified")),
    )


class CustomerTurns(ConversationBase):
    async def open_conversation(
        self,
        session: AsyncSession,
        outbox: Outbox,
        *,
        inbox: Inbox,
        customer: Customer,
        channel: str,
        token: str | None = None,
        verified: bool = False,
        thread_key: str | None = None,
        channel_meta: dict[str, Any] | None = None,
    ) -> tuple[Conversation, list[Message]]:
        """Create a conversation and run its opening turn (greeting, VIP or human-only routing)
        inside the caller's transaction. Every channel starts conversations here.

        ``token`` is the customer token (web chat hands it to the customer); channels that never
        give one out leave it None and get an unguessable one nobody holds."""
        conv = Conversation(
            id=new_id(),
            workspace_id=inbox.workspace_id,
            inbox_id=inbox.id,
            customer_id=customer.id,
            channel=channel,
            status="bot",
            tier=1,
            customer_token_hash=hash_token(token or new_token()),
            identity_verified=verified,
            routing={},
            thread_key=thread_key,
            channel_meta=dict(channel_meta or {}),
            created_at=utcnow(),
            team=inbox.team,  # the inbox's team serves it
        )
        session.add(conv)
        await session.flush()
        repo.add_event(
            session,
            conv,
            "conversation.created",
            actor="customer",
            actor_id=customer.id,
            data={
                "channel": channel,
                "inbox_id": inbox.id,
                "identity_verified": verified,
                # Who the customer was when they came: analytics' value-by-segment.
                "segment": "vip" if customer.vip else "standard",
                "customer_value": customer.lifetime_value,
            },
        )
        created, _state = await self._run_turn(
            session, outbox, conv, customer, text=None, turn_id=None
        )
        return conv, created

    def record_customer_message(
        self,
        session: AsyncSession,
        outbox: Outbox,
        conv: Conversation,
        text: str,
        *,
        idempotency_key: str | None = None,
        external_id: str | None = None,
        channel_meta: dict[str, Any] | None = None,
        touch: bool = True,
        add: bool = True,
    ) -> Message:
        """Phase 1 of a customer turn, inside the caller's transaction: store the message (the
        caller flushes; a duplicate idempotency key or external id fails there) and queue its
        live event. ``answer_message`` then runs the AI turn for it (which sets updated_at:
        ``touch=False`` when it follows at once). ``add=False``: the caller adds it to the
        session itself (the one-transaction turn inserts it with its answer)."""
        msg_id = new_id()
        msg = repo.new_message(
            conv,
            author="customer",
            text=text,
            turn_id=msg_id,
            idempotency_key=idempotency_key,
            external_id=external_id,
            channel_meta=channel_meta,
        )
        msg.id = msg_id
        if add:
            session.add(msg)
        if touch:
            conv.updated_at = utcnow()
        outbox.emit(MessageCreated(conv.workspace_id, conv.id, message=message_read(msg)))
        return msg

    async def post_customer_message(
        self,
        conversation_id: str,
        principal: StaffPrincipal | CustomerPrincipal,
        text: str,
        key: str | None,
    ) -> dict[str, Any]:
        if not isinstance(principal, CustomerPrincipal):
            raise Forbidden(STAFF_POSTS_REPLIES)
        if len(text) > self.rt.max_message_chars:
            raise PayloadTooLarge(
                f"Message is {len(text)} characters; the limit is {self.rt.max_message_chars}."
            )
        if key is not None and not (0 < len(key) <= 200):
            raise InvalidInput("Idempotency-Key must be 1 to 200 characters.")
        # The model embeds the text in a worker thread before the turn takes the database's
        # write lock, so the turn itself never waits for the model while holding it.
        await self.prepare_turn(mask_payment_data(text))
        try:
            response = await self._accept_and_answer(conversation_id, principal, text, key)
        except IntegrityError:
            response = None  # a concurrent request with the same Idempotency-Key stored it
        if response is not None:
            if response["conversation"]["status"] == "assigned":
                self.schedule_assist(conversation_id)
            return response
        # A retry (the key was seen before) or a lost race: the two-phase path finds the
        # stored message and answers it exactly once, or returns the answer it already has.
        message_id, done, leased = await self._accept_customer_message(
            conversation_id, principal, text, key
        )
        if done is not None:
            return done
        return await self.answer_message(conversation_id, message_id, leased=leased)

    async def prepare_turn(self, text: str) -> None:
        """Embed what the turn's model steps will ask for, off the event loop and batched with
        other turns (best effort: a step that finds nothing prepared embeds it itself)."""
        if self.rt.encoder is None or self.rt.turn_texts is None:
            return
        try:
            await self.rt.encoder.encode_async(self.rt.turn_texts(text))
        except Exception as exc:
            log.warning("turn.prepare_failed", error=str(exc))

    async def answer_message(
        self, conversation_id: str, message_id: str, *, leased: bool = False
    ) -> dict[str, Any]:
        """Phase 2 of a customer turn (any channel): the AI turn for a stored customer message,
        exactly once. Fresh agent assist, when an agent has the conversation, follows after the
        answer (``schedule_assist``): it never delays the customer. ``leased``: the caller
        stored the message with its answer lease already taken."""
        response = await self._answer(conversation_id, message_id, leased=leased)
        # Pushed only while someone handles the conversation: a desk that has a queued one open
        # fetches assist itself when the customer writes (staff.js), so the queue's
        # conversations cost nothing for the nobody who is looking.
        if response["conversation"]["status"] == "assigned":
            self.schedule_assist(conversation_id)
        return response

    def schedule_assist(self, conversation_id: str) -> None:
        """Recompute agent assist shortly, once for a burst of messages."""
        self.rt.assist_debouncer.schedule(
            f"assist:{conversation_id}", lambda: self.push_assist(conversation_id)
        )

    async def push_assist(self, conversation_id: str) -> None:
        """Fresh agent assist for the people handling this conversation (best effort)."""
        from hybridcx.assist.service import AssistService

        try:
            async with self.rt.sessions() as session:
                conv = await repo.get_conversation(session, conversation_id)
                if conv is None:
                    return
                assist = await AssistService(self.rt).build(session, conv)
            event = AssistUpdated(conv.workspace_id, conversation_id=conversation_id, assist=assist)
            await self.rt.events.dispatch(self.rt, event)
        except Exception as exc:  # assist must never cost the customer their answer
            log.warning("assist.push_failed", conversation_id=conversation_id, error=str(exc))

    async def _accept_and_answer(
        self, conversation_id: str, principal: CustomerPrincipal, text: str, key: str | None
    ) -> dict[str, Any] | None:
        """A new customer message and its AI turn in one transaction (one commit, one read of
        the conversation). None when the Idempotency-Key was used before: the two-phase path
        handles retries. If the AI turn fails, the message is stored on its own (phase 1 of
        the two-phase path) before the error goes on, so nothing the customer sent is lost."""
        outbox = Outbox()
        stored = False
        try:
            async with transaction(self.rt.sessions) as session:
                found = await repo.conversation_for_turn(session, conversation_id, key)
                conv = await self._customer_may_write(
                    session, found[0] if found else None, principal
                )
                if found is None or found[2]:  # the key was used before: a retry
                    return None
                customer = found[1]
                if conv.status == "resolved" and not await hours.reopen_if_idle_closed(
                    session, conv
                ):
                    raise ConversationClosed(CLOSED_TO_MESSAGES)
                # The message joins the session with its answer (one INSERT at the commit, no
                # answer lease: nobody else sees it before it is answered). Its key was checked
                # above under the conversation's lock; a concurrent two-phase request with the
                # same key makes the commit fail, and post_customer_message answers as a retry.
                msg = self.record_customer_message(
                    session, outbox, conv, text, idempotency_key=key, touch=False, add=False
                )
                stored = True
                earlier = await repo.recent_messages(
                    session, conv.id, limit=TURN_WINDOW - 1, transcript=True
                )
                previous = (conv.status, conv.tier)
                created, state = await self._run_turn(
                    session,
                    outbox,
                    conv,
                    customer,
                    text=msg.text,
                    turn_id=msg.id,
                    window=[*earlier, msg],
                    customer_message=msg,
                )
                response = {
                    "messages": [message_read(msg)] + [message_read(m) for m in created],
                    "conversation": state,
                }
                msg.turn_response = response
        except IntegrityError:
            raise  # the key was stored meanwhile: post_customer_message answers as a retry
        except BaseException:
            if stored:  # the turn failed: keep the message, free for a retry to answer
                message_id, _done, leased = await self._accept_customer_message(
                    conversation_id, principal, text, key
                )
                if leased:
                    await self._release_lease(message_id)
            raise
        await outbox.flush(self.rt)
        if conv.status == "queued" and previous != (conv.status, conv.tier):
            await dispatch(self.rt, conv.workspace_id)  # newly queued, or it needs a new skill
        return response

    async def _writable_conversation(
        self,
        session: AsyncSession,
        conversation_id: str,
        principal: CustomerPrincipal,
        *,
        lock: bool = False,
    ) -> Conversation:
        """The customer's own conversation, for a new message (a staff token gets 403)."""
        conv = await repo.get_conversation(session, conversation_id, lock=lock)
        return await self._customer_may_write(session, conv, principal)

    async def _customer_may_write(
        self, session: AsyncSession, conv: Conversation | None, principal: CustomerPrincipal
    ) -> Conversation:
        if (
            conv is not None
            and conv.customer_token_hash != hash_token(principal.token)
            and await staff_from_token(session, principal.token) is not None
        ):
            raise Forbidden(STAFF_POSTS_REPLIES)
        return permissions.customer_owns(principal, conv)

    async def _accept_customer_message(
        self, conversation_id: str, principal: CustomerPrincipal, text: str, key: str | None
    ) -> tuple[str, dict[str, Any] | None, bool]:
        """Phase 1: persist the message (once per Idempotency-Key) and tell the agents. A new
        message is stored with its answer lease taken (this request answers it)."""
        outbox = Outbox()
        async with transaction(self.rt.sessions) as session:
            conv = await self._writable_conversation(session, conversation_id, principal)
            if key is not None:
                existing = await repo.find_by_idempotency_key(session, conv.id, key)
                if existing is not None:
                    if existing.text != mask_payment_data(text):
                        raise InvalidInput(
                            "This Idempotency-Key was already used for a different message."
                        )
                    return existing.id, existing.turn_response, False
            if conv.status == "resolved" and not await hours.reopen_if_idle_closed(session, conv):
                raise ConversationClosed(CLOSED_TO_MESSAGES)
            msg = self.record_customer_message(
                session, outbox, conv, text, idempotency_key=key, touch=False
            )
            msg.answering_at, msg.answering_by = utcnow(), self.rt.process_id
            await session.flush()
        await outbox.flush(self.rt)
        return msg.id, None, True

    async def _answer(
        self, conversation_id: str, message_id: str, *, leased: bool = False
    ) -> dict[str, Any]:
        """Phase 2: run the AI turn for an already-stored customer message, exactly once."""
        if leased:
            self._mark_answering(message_id)
        elif not await self._try_lease(message_id):
            response = await self._await_answer(message_id)
            if response is not None:
                return response
        try:
            return await self._answer_leased(conversation_id, message_id)
        except BaseException:
            # Let the next retry (same Idempotency-Key) answer at once instead of waiting.
            await self._release_lease(message_id)
            raise
        finally:
            self._unmark_answering(message_id)

    def _mark_answering(self, message_id: str) -> None:
        """This process works on the message's lease: the heartbeat must not hand it back
        (counted: two requests of this process may hold it in turn)."""
        self.rt.answering[message_id] += 1

    def _unmark_answering(self, message_id: str) -> None:
        self.rt.answering[message_id] -= 1
        if self.rt.answering[message_id] <= 0:
            del self.rt.answering[message_id]

    async def _try_lease(self, message_id: str) -> bool:
        """Take the answer lease and mark the message as worked on (marked first: the heartbeat
        must never see a lease this process took and did not mark)."""
        self._mark_answering(message_id)
        try:
            taken = await self._take_lease(message_id)
        except BaseException:
            self._unmark_answering(message_id)
            raise
        if not taken:
            self._unmark_answering(message_id)
        return taken

    async def _take_lease(self, message_id: str) -> bool:
        """The answer lease, if it is free or its holder is gone (a process that stopped beating,
        or a lease naming no process past the fixed timeout)."""
        now = utcnow()
        async with transaction(self.rt.sessions) as session:
            return await repo.take_answer_lease(
                session,
                message_id,
                holder=self.rt.process_id,
                stale_before=now - timedelta(seconds=ANSWER_LEASE_SECONDS),
                dead_before=heartbeat.dead_before(now),
            )

    async def _release_lease(self, message_id: str) -> None:
        try:
            async with transaction(self.rt.sessions) as session:
                await repo.release_answer_lease(session, message_id)
        except Exception as exc:  # the database is away: the heartbeat hands it back later
            log.warning("turn.lease_release_failed", message_id=message_id, error=str(exc))

    async def _answer_leased(self, conversation_id: str, message_id: str) -> dict[str, Any]:
        outbox = Outbox()
        async with transaction(self.rt.sessions) as session:
            conv = await repo.get_conversation(session, conversation_id, lock=True)
            assert conv is not None
            window = await repo.recent_messages(session, conv.id, limit=TURN_WINDOW)
            customer_msg = next((m for m in window if m.id == message_id), None)
            if customer_msg is None:  # a retry of a message older than the window
                customer_msg = await repo.get_message(session, message_id)
            if customer_msg.turn_response is not None:  # a concurrent retry finished first
                return customer_msg.turn_response
            customer = await repo.get_customer(session, conv.customer_id)
            previous = (conv.status, conv.tier)
            created, state = await self._run_turn(
                session,
                outbox,
                conv,
                customer,
                text=customer_msg.text,
                turn_id=message_id,
                window=window,
            )
            response = {
                "messages": [message_read(customer_msg)] + [message_read(m) for m in created],
                "conversation": state,
            }
            customer_msg.turn_response, customer_msg.answering_by = response, None
        await outbox.flush(self.rt)
        if conv.status == "queued" and previous != (conv.status, conv.tier):
            await dispatch(self.rt, conv.workspace_id)  # newly queued, or it needs a new skill
        return response

    async def _await_answer(self, message_id: str) -> dict[str, Any] | None:
        """A concurrent request holds the answer lease: its answer once stored, or None once this
        request has taken the lease over (its holder stopped beating or handed it back)."""
        deadline = time.monotonic() + ANSWER_LEASE_SECONDS
        next_try = time.monotonic() + LEASE_RETRY_SECONDS
        while time.monotonic() < deadline:
            async with self.rt.sessions() as session:
                response = await repo.turn_response(session, message_id)
            if response is not None:
                return response
            if time.monotonic() >= next_try:
                if await self._try_lease(message_id):
                    return None
                next_try = time.monotonic() + LEASE_RETRY_SECONDS
            await asyncio.sleep(0.05)
        raise Conflict("This message is still being answered; retry with the same Idempotency-Key.")

    async def _run_turn(
        self,
        session: AsyncSession,
        outbox: Outbox,
        conv: Conversation,
        customer: Customer,
        *,
        text: str | None,
        turn_id: str | None,
        window: Sequence[Message] | None = None,
        customer_message: Message | None = None,
    ) -> tuple[list[Message], dict[str, Any]]:
        """The AI turn on ``conv``: its replies, and the conversation's state after it (as the
        customer and the desk are told). Nothing is flushed here: the caller's commit writes the
        turn in one flush. ``customer_message``: the turn's message, not yet in the session (it
        is added before the replies, so it comes first in the conversation)."""
        slug = await repo.workspace_slug(session, conv.workspace_id)
        # The workspace's policy, with the overrides of this conversation's experiment arms.
        policy, pipeline = await turn_policy(self.rt, session, conv, slug, customer)
        if window is None:
            window = await repo.recent_messages(
                session, conv.id, limit=TURN_WINDOW, transcript=True
            )
        # The recent messages only: a turn costs the same in a long conversation; what the
        # handoff needs from earlier (the first request, how many) is kept in ai_state.
        transcript = [TranscriptLine(m.author, m.text) for m in window]  # type: ignore[arg-type]
        opt_out_if_asked(session, outbox, conv, customer, text)  # "no bots"
        profile = profile_of(customer, conv)
        now = utcnow()
        ai_state = _with_said(conv.ai_state or {}, transcript, counted=text is not None)
        # Repeat contact: the customer's other conversations in the 7 days before this one's
        # first turn, counted once and kept with the conversation (a statement less per turn).
        if PRIOR_CONTACTS not in ai_state:
            ai_state[PRIOR_CONTACTS] = await repo.recent_contacts(
                session, conv, since=now - timedelta(days=7)
            )
        ctx = TurnContext(
            text=text,
            customer=profile,
            channel=conv.channel,
            status=conv.status,  # type: ignore[arg-type]
            tier=conv.tier,
            transcript=transcript,
            # While people have it, why they have it stays part of every later decision.
            reasons=list((conv.routing or {}).get("reasons", []))
            if conv.status in ("queued", "assigned")
            else [],
            ai_state=ai_state,
            services=TurnServices(
                backend=self.rt.backend_factory(session, conv.workspace_id),
                knowledge=ArticleKnowledge(session, conv.workspace_id, self.rt.knowledge),
                # loaded only when the turn has an AI reply to check
                protected=functools.partial(load_protected, session, conv, customer),
            ),
            now=now,
            prior_contacts=int(ai_state[PRIOR_CONTACTS]),
        )
        result = await pipeline.arun(ctx)
        with session.no_autoflush:  # the commit writes the turn's rows, in one flush
            return await self._record_turn(
                session,
                outbox,
                conv,
                customer,
                ctx,
                result,
                policy,
                slug,
                transcript,
                turn_id=turn_id,
                customer_message=customer_message,
            )

    async def _record_turn(
        self,
        session: AsyncSession,
        outbox: Outbox,
        conv: Conversation,
        customer: Customer,
        ctx: TurnContext,
        result: TurnResult,
        policy: RoutingPolicy,
        slug: str,
        transcript: list[TranscriptLine],
        *,
        turn_id: str | None,
        customer_message: Message | None,
    ) -> tuple[list[Message], dict[str, Any]]:
        """What the AI turn decided, applied to the conversation (``_run_turn``'s second half)."""
        if customer_message is not None:
            session.add(customer_message)
        decision = result.decision
        profile = ctx.customer
        created = [
            repo.add_message(
                session, conv, author=r.author, text=r.text, turn_id=turn_id, buttons=r.buttons
            )
            for r in result.replies
        ]
        if (
            decision.intent
            and (decision.confidence or 0) >= policy.confidence_threshold
            and decision.intent not in policy.smalltalk
            and decision.intent not in META_INTENTS
            and "topic" not in ctx.ai_state
        ):
            ctx.ai_state["topic"] = decision.intent  # why the customer got in touch, for people
        conv.ai_state = dict(ctx.ai_state)
        await apply_ai_tags(session, conv, policy)  # tags from the topic, once
        conv.routing = decision.to_dict()
        # compliance record, safety events, held consequential actions (the replies
        # have their ids already: repo.add_message sets them).
        record_turn(session, conv, ctx, created, policy, turn_id=turn_id)
        record_action_requests(session, outbox, conv, ctx.action_requests, turn_id=turn_id)
        # The handoff names the customer's issue, not the "get me a person" of the last turn.
        about = dataclasses.replace(decision, intent=topic_of(conv))
        said = _said_of(conv.ai_state)
        repo.add_event(
            session,
            conv,
            "routing.decided",
            actor="ai",
            data={
                **decision.to_dict(),
                "turn_id": turn_id,
                **({"knowledge": ctx.knowledge_used} if ctx.knowledge_used else {}),
                **({"segment": policy.segment} if policy.segment else {}),
            },
        )
        full_transcript = transcript + [TranscriptLine(r.author, r.text) for r in result.replies]
        previous_status = conv.status
        if decision.handoff and conv.status == "bot":
            conv.status = "queued"
            conv.tier = decision.tier
            conv.queued_at = utcnow()
            conv.required_skill = policy.skill_by_tier.get(decision.tier)
            rank(conv, vip=customer.vip, weights=self.rt.policies.policy(slug).queue)
            conv.handoff = build_handoff(
                profile, about, full_transcript, channel=conv.channel, said=said
            )
            repo.add_event(
                session,
                conv,
                "conversation.queued",
                actor="system",
                data={
                    "tier": conv.tier,
                    "reasons": list(decision.reasons),
                    "skill": conv.required_skill,
                },
            )
            created += await hours.on_queued(self.rt, session, conv, customer)
        elif conv.status in ("queued", "assigned"):
            if decision.tier > conv.tier:
                conv.tier = decision.tier
                if conv.status == "queued":
                    conv.required_skill = policy.skill_by_tier.get(conv.tier, conv.required_skill)
                    rank(conv, vip=customer.vip, weights=self.rt.policies.policy(slug).queue)
            conv.handoff = build_handoff(
                profile, about, full_transcript, channel=conv.channel, said=said
            )
        conv.updated_at = utcnow()
        for m in created:
            outbox.emit(MessageCreated(conv.workspace_id, conv.id, message=message_read(m)))
        state = await self._state(session, conv)
        outbox.emit(
            ConversationUpdated(conv.workspace_id, conv.id, to_staff=False, conversation=state)
        )
        if conv.status == "queued" and previous_status != "queued":
            outbox.emit(ConversationQueued(conv.workspace_id, conversation=state))
            outbox.emit(QueueUpdated(conv.workspace_id))
        else:
            outbox.emit(
                ConversationUpdated(
                    conv.workspace_id, conv.id, to_customer=False, conversation=state
                )
            )
        return created, state
