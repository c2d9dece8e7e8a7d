"""AI drafts for emails the AI may not answer by itself: written after the turn, shown in the
desk, edited, approved (then sent as the agent's reply, through the email adapter) or discarded.
Nothing in a draft reaches the customer before an agent approves it, unless the workspace
policy (``email.auto_send_intents``) lets that intent go out by itself."""

from __future__ import annotations

from typing import Any

from hybridcx.assist.service import AssistService
from hybridcx.auth import permissions
from hybridcx.auth.service import StaffPrincipal
from hybridcx.channels.deps import ChannelDeps
from hybridcx.channels.email import repository as erepo
from hybridcx.channels.outbound import deliver
from hybridcx.conversations import repository as repo
from hybridcx.conversations.handling import ConversationHandling
from hybridcx.conversations.schemas import message_read
from hybridcx.conversations.turns import topic_of
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import (
    Conflict,
    ConversationClosed,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
)
from hybridcx.kit.events import EmailDraftChanged, MessageCreated
from hybridcx.kit.ids import utcnow
from hybridcx.kit.outbox import Outbox
from hybridcx.kit.time import iso
from hybridcx.models import Conversation, EmailDraft

DRAFT_NOT_FOUND = "Draft not found."
EDITABLE = ("pending", "failed")


def draft_read(d: EmailDraft) -> dict[str, Any]:
    return {
        "id": d.id,
        "conversation_id": d.conversation_id,
        "status": d.status,
        "text": d.text,
        "original_text": d.original_text,
        "edited": d.text != d.original_text,
        "intent": d.intent,
        "tier": d.tier,
        "grounded": d.grounded,
        "sources": list(d.sources or []),
        "reply_to_message_id": d.reply_to_message_id,
        "decided_by": d.decided_by,
        "sent_message_id": d.sent_message_id,
        "created_at": iso(d.created_at),
        "updated_at": iso(d.updated_at),
        "decided_at": iso(d.decided_at),
    }


def _event(d: EmailDraft) -> EmailDraftChanged:
    return EmailDraftChanged(d.workspace_id, conversation_id=d.conversation_id, draft=draft_read(d))


async def write_draft(
    rt: ChannelDeps, conv: Conversation, *, reply_to_message_id: str | None, text: str | None = None
) -> dict[str, Any]:
    """The AI's proposed reply to the customer's latest mail: ``text`` when given (the AI's
    own Tier 1 answer), else the reply agent assist suggests (grounded in public articles when
    it can be). Replaces any older pending draft of the conversation."""
    outbox = Outbox()
    async with transaction(rt.sessions) as session:
        fresh = await repo.get_conversation(session, conv.id)
        assert fresh is not None
        proposal: dict[str, Any] = {}
        if text is None:
            proposal = (await AssistService(rt).build(session, fresh)).get("draft") or {}
            customer = await repo.get_customer(session, fresh.customer_id)
            first = customer.name.split()[0] if customer.name.strip() else "there"
            text = proposal.get("text") or (
                f"Hi {first}, thanks for your email. I'm looking into this for you now."
            )
        grounded = bool(proposal.get("grounded"))
        sources = list(proposal.get("sources") or [])
        await erepo.supersede_pending(session, fresh.id)
        draft = EmailDraft(
            workspace_id=fresh.workspace_id,
            conversation_id=fresh.id,
            reply_to_message_id=reply_to_message_id,
            status="pending",
            text=text,
            original_text=text,
            intent=topic_of(fresh),
            tier=fresh.tier,
            grounded=grounded,
            sources=sources,
        )
        session.add(draft)
        await session.flush()
        repo.add_event(
            session,
            fresh,
            "email.draft_created",
            actor="ai",
            data={"draft_id": draft.id, "intent": draft.intent, "grounded": draft.grounded},
        )
        outbox.emit(_event(draft))
        result = draft_read(draft)
    await outbox.flush(rt)
    return result


async def auto_send_draft(rt: ChannelDeps, conv: Conversation, draft_id: str) -> bool:
    """Policy allows this intent to go out unapproved: the draft becomes the AI's reply."""
    outbox = Outbox()
    async with transaction(rt.sessions) as session:
        now = utcnow()
        if not await erepo.claim_draft(
            session,
            draft_id,
            from_statuses=("pending",),
            to_status="sent",
            agent_id=None,
            text=None,
            now=now,
        ):
            return False
        draft = await session.get(EmailDraft, draft_id)
        fresh = await repo.get_conversation(session, conv.id)
        assert draft is not None and fresh is not None
        msg = repo.add_message(session, fresh, author="ai", text=draft.text)
        await session.flush()
        draft.sent_message_id = msg.id
        repo.add_event(
            session,
            fresh,
            "email.draft_auto_sent",
            actor="ai",
            data={"draft_id": draft.id, "intent": draft.intent, "message_id": msg.id},
        )
        read = message_read(msg)
        outbox.emit(MessageCreated(fresh.workspace_id, fresh.id, to_customer=False, message=read))
        outbox.emit(_event(draft))
        message = message_read(msg)
    await outbox.flush(rt)
    delivered = await deliver(rt, conv, message)
    return (delivered.get("channel_meta") or {}).get("delivery", {}).get("status") == "sent"


class DraftService:
    def __init__(self, rt: ChannelDeps) -> None:
        self.rt = rt

    async def _load(
        self, session: Any, conversation_id: str, draft_id: str, staff: StaffPrincipal
    ) -> tuple[Conversation, EmailDraft]:
        conv = await _conversation(session, conversation_id, staff)
        draft = await erepo.get_draft(
            session, draft_id, conversation_id=conv.id, workspace_id=staff.workspace_id
        )
        if draft is None:
            raise NotFound(DRAFT_NOT_FOUND)
        return conv, draft

    def _check_text(self, text: str) -> str:
        if not text.strip():
            raise InvalidInput("The reply is empty.")
        if "\x00" in text:
            raise InvalidInput("The reply contains a NUL character.")
        if len(text) > self.rt.max_message_chars:
            raise PayloadTooLarge(
                f"Reply is {len(text)} characters; the limit is {self.rt.max_message_chars}."
            )
        return text.strip()

    async def list(self, conversation_id: str, staff: StaffPrincipal) -> list[dict[str, Any]]:
        async with self.rt.sessions() as session:
            conv = await _conversation(session, conversation_id, staff)
            return [
                draft_read(d) for d in await erepo.drafts_for(session, conv.id, conv.workspace_id)
            ]

    async def get(
        self, conversation_id: str, draft_id: str, staff: StaffPrincipal
    ) -> dict[str, Any]:
        async with self.rt.sessions() as session:
            _, draft = await self._load(session, conversation_id, draft_id, staff)
            return draft_read(draft)

    async def edit(
        self, conversation_id: str, draft_id: str, staff: StaffPrincipal, text: str
    ) -> dict[str, Any]:
        text = self._check_text(text)
        outbox = Outbox()
        async with transaction(self.rt.sessions) as session:
            conv, draft = await self._load(session, conversation_id, draft_id, staff)
            if conv.status == "resolved":
                raise ConversationClosed("This conversation is resolved.")
            _not_someone_elses(conv, staff)
            if draft.status not in EDITABLE:
                raise Conflict(f"This draft is {draft.status}; only a pending draft can be edited.")
            draft.text = text
            draft.updated_at = utcnow()
            await session.flush()
            outbox.emit(_event(draft))
            result = draft_read(draft)
        await outbox.flush(self.rt)
        return result

    async def discard(
        self, conversation_id: str, draft_id: str, staff: StaffPrincipal
    ) -> dict[str, Any]:
        outbox = Outbox()
        async with transaction(self.rt.sessions) as session:
            conv, draft = await self._load(session, conversation_id, draft_id, staff)
            _not_someone_elses(conv, staff)
            if not await erepo.claim_draft(
                session,
                draft.id,
                from_statuses=EDITABLE,
                to_status="discarded",
                agent_id=staff.agent_id,
                text=None,
                now=utcnow(),
            ):
                raise Conflict(f"This draft is {draft.status}; it can no longer be discarded.")
            await session.refresh(draft)
            repo.add_event(
                session,
                conv,
                "email.draft_discarded",
                actor="agent",
                actor_id=staff.agent_id,
                data={"draft_id": draft.id},
            )
            outbox.emit(_event(draft))
            result = draft_read(draft)
        await outbox.flush(self.rt)
        return result

    async def approve(
        self, conversation_id: str, draft_id: str, staff: StaffPrincipal, text: str | None
    ) -> dict[str, Any]:
        """Send the draft (as edited, or with ``text``) as the agent's reply. Exactly once: the
        draft is claimed with a conditional update before anything is sent."""
        async with transaction(self.rt.sessions) as session:
            conv, draft = await self._load(session, conversation_id, draft_id, staff)
            _require_handler(conv, staff)
            final = self._check_text(text if text is not None else draft.text)
            previous = draft.status
            if not await erepo.claim_draft(
                session,
                draft.id,
                from_statuses=EDITABLE,
                to_status="sending",
                agent_id=staff.agent_id,
                text=final,
                now=utcnow(),
            ):
                raise Conflict(f"This draft is {draft.status}; it cannot be sent again.")
            edited = final != draft.original_text
        try:
            message = await ConversationHandling(self.rt).reply(
                conversation_id, staff, final, internal=False
            )
        except BaseException:
            async with transaction(self.rt.sessions) as session:
                await erepo.claim_draft(
                    session,
                    draft_id,
                    from_statuses=("sending",),
                    to_status=previous,
                    agent_id=None,
                    text=None,
                    now=utcnow(),
                )
            raise
        delivery = (message.get("channel_meta") or {}).get("delivery") or {}
        outbox = Outbox()
        async with transaction(self.rt.sessions) as session:
            conv, draft = await self._load(session, conversation_id, draft_id, staff)
            draft.status = "sent" if delivery.get("status") == "sent" else "failed"
            draft.sent_message_id = message["id"]
            draft.updated_at = utcnow()
            repo.add_event(
                session,
                conv,
                "email.draft_approved",
                actor="agent",
                actor_id=staff.agent_id,
                data={
                    "draft_id": draft.id,
                    "edited": edited,
                    "message_id": message["id"],
                    "delivery": delivery.get("status"),
                },
            )
            await session.flush()
            outbox.emit(_event(draft))
            result = {"draft": draft_read(draft), "message": message}
        await outbox.flush(self.rt)
        return result


async def _conversation(session: Any, conversation_id: str, staff: StaffPrincipal) -> Conversation:
    """The conversation if this staff member may see it (workspace and team); 404 otherwise."""
    conv = await repo.get_conversation(session, conversation_id, workspace_id=staff.workspace_id)
    return permissions.check_conversation(staff, conv)


def _not_someone_elses(conv: Conversation, staff: StaffPrincipal) -> None:
    """A queued conversation's draft may be prepared by any agent who sees it; once it is
    assigned, only its assignee (or a supervisor) changes it."""
    if conv.status == "assigned" and not permissions.can_handle(staff, conv):
        raise Forbidden("This conversation is assigned to another agent.")


def _require_handler(conv: Conversation, staff: StaffPrincipal) -> None:
    """The same rule as a typed reply: the assigned agent, or a supervisor."""
    if conv.status == "resolved":
        raise ConversationClosed("This conversation is resolved.")
    if permissions.can_handle(staff, conv):
        return
    if conv.status == "assigned":
        raise Forbidden("This conversation is assigned to another agent.")
    raise Conflict("Accept this conversation before sending its draft.")


async def attachment_file(
    rt: ChannelDeps,
    staff: StaffPrincipal,
    *,
    conversation_id: str,
    message_id: str,
    attachment_id: str,
) -> tuple[bytes, str]:
    """The content (opened) and name of one stored attachment, looked up through the staff
    member's workspace, the conversation and the message; a path that would leave the
    attachments folder is refused."""
    import asyncio

    from sqlalchemy import select

    from hybridcx.kit.sealed import session_keyring
    from hybridcx.models import Message
    from hybridcx.privacy import attachments

    async with rt.sessions() as session:
        conv = await _conversation(session, conversation_id, staff)
        stmt = select(Message).where(Message.id == message_id, Message.conversation_id == conv.id)
        msg = (await session.execute(stmt)).scalar_one_or_none()
        ring = session_keyring(session)
    if msg is None:
        raise NotFound("Message not found.")
    found = [a for a in attachments.listed(msg) if a.get("id") == attachment_id]
    if not found:
        raise NotFound("Attachment not found.")
    att = found[0]
    if att.get("status") != "stored":
        raise NotFound(f"This attachment was not stored: {att.get('reason', 'rejected')}.")
    content = await asyncio.to_thread(attachments.read, ring, rt.settings.data_dir.resolve(), att)
    if content is None:
        raise NotFound("The attachment's file is missing.")
    return content, str(att.get("filename") or "attachment")
