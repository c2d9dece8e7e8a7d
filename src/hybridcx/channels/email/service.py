"""Inbound email: one received message (from the SMTP receiver or the IMAP poller) becomes a
customer turn, and the answer goes back by mail or waits as a draft for an agent.

1. Parse (``mime.py``); mail that must not be answered (``loops.py``) is recorded and dropped.
2. Thread: a mail answering a known Message-ID continues that conversation's thread.
3. Attachments are stored under the data dir within the limits, sealed with the key ring.
4. ``ingest_inbound`` stores the message once per Message-ID and runs the AI turn.
5. Tier 1 answers are mailed at once. Anything else gets an AI draft that waits for an agent's
   approval, unless the workspace policy lets that intent go out by itself.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import select

from hybridcx.channels.base import DeliveryError, degrade
from hybridcx.channels.deps import ChannelDeps
from hybridcx.channels.email import repository as erepo
from hybridcx.channels.email.adapter import EMAIL_CAPABILITIES, EmailAdapter
from hybridcx.channels.email.attachments import store_attachments
from hybridcx.channels.email.config import EmailConfig
from hybridcx.channels.email.drafts import auto_send_draft, write_draft
from hybridcx.channels.email.loops import classify
from hybridcx.channels.email.mime import ParsedEmail, parse_email
from hybridcx.channels.ingest import InboundResult, ingest_inbound
from hybridcx.channels.outbound import record_delivery
from hybridcx.conversations import repository as repo
from hybridcx.conversations.turns import CustomerTurns
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import InvalidInput
from hybridcx.kit.ids import utcnow
from hybridcx.kit.sealed import keyring_for
from hybridcx.kit.time import iso
from hybridcx.models import Conversation, EmailRecord, Message
from hybridcx.workspaces.repository import find_channel_inbox

log = structlog.get_logger(__name__)

CHANNEL = "email"
# A redelivered mail whose first delivery stored the message this long ago without finishing
# is answered now (see EmailChannel._unfinished).
RESUME_AFTER_SECONDS = 120


@dataclass
class InboundOutcome:
    """What became of one received mail."""

    status: str  # processed | duplicate | ignored
    conversation_id: str | None = None
    reason: str | None = None
    kind: str | None = None  # for ignored mail: bounce | auto_reply | bulk | own_message | empty
    replied: bool = False
    draft_id: str | None = None


def rfc_id_of(parsed: ParsedEmail, raw: bytes) -> str:
    """The Message-ID, or a stable stand-in for mail without one (so a redelivery dedupes)."""
    if parsed.message_id and len(parsed.message_id) <= 255:
        return parsed.message_id
    return f"<sha256.{hashlib.sha256(raw).hexdigest()}@hybridcx.invalid>"


class EmailChannel:
    def __init__(self, rt: ChannelDeps, config: EmailConfig) -> None:
        self.rt = rt
        self.config = config

    async def receive(
        self, raw: bytes, *, mail_from: str | None = None, source: str = "smtp"
    ) -> InboundOutcome:
        """Handle one received message end to end; safe to call again with the same mail."""
        parsed = parse_email(raw)
        rfc_id = rfc_id_of(parsed, raw)
        async with transaction(self.rt.sessions) as session:
            inbox = await find_channel_inbox(session, CHANNEL)
            if inbox is None:
                raise RuntimeError("No default workspace to receive email in.")
            workspace_id = inbox.workspace_id
            if await erepo.record_seen(session, workspace_id, rfc_id) is not None:
                return InboundOutcome("duplicate", reason="Message-ID already received")
            thread_conv = await erepo.thread_conversation(session, workspace_id, parsed.thread_ids)
            verdict = classify(
                parsed.message, support_email=self.config.support_email, envelope_sender=mail_from
            )
            if verdict is None and not parsed.from_addr:
                verdict_kind, verdict_reason = "empty", "no sender address"
            elif verdict is not None:
                verdict_kind, verdict_reason = verdict.kind, verdict.reason
            else:
                verdict_kind = verdict_reason = ""
            if verdict_kind:
                self._record_ignored(
                    session, workspace_id, parsed, rfc_id, thread_conv, verdict_kind, verdict_reason
                )
                log.info(
                    "email.ignored",
                    kind=verdict_kind,
                    reason=verdict_reason,
                    message_id=rfc_id,
                    conversation_id=thread_conv.id if thread_conv else None,
                )
                return InboundOutcome(
                    "ignored",
                    conversation_id=thread_conv.id if thread_conv else None,
                    reason=verdict_reason,
                    kind=verdict_kind,
                )
            thread_key = (thread_conv.thread_key if thread_conv else None) or rfc_id
        attachments = await asyncio.to_thread(
            store_attachments,
            parsed.attachments,
            root=self.config.attachments_dir,
            data_dir=self.config.data_dir,
            max_bytes=self.config.max_attachment_bytes,
            max_total_bytes=self.config.max_total_attachment_bytes,
            keyring=keyring_for(self.rt.engine.sync_engine.dialect),
        )
        text = parsed.text or parsed.subject
        if not text and attachments:
            text = "(attachments only: " + ", ".join(a["filename"] for a in attachments) + ")"
        meta = self._message_meta(parsed, rfc_id, source, attachments)
        reply_to = _reply_to(parsed)
        try:
            result = await ingest_inbound(
                self.rt,
                channel=CHANNEL,
                text=text,
                email=parsed.from_addr,
                name=parsed.from_name,
                external_id=rfc_id,
                thread_key=thread_key,
                meta={"email": meta},
                conversation_meta={"email": {"subject": parsed.subject, "address": reply_to}},
            )
        except InvalidInput as exc:
            async with transaction(self.rt.sessions) as session:
                self._record_ignored(
                    session, workspace_id, parsed, rfc_id, thread_conv, "empty", exc.message
                )
            return InboundOutcome("ignored", reason=exc.message, kind="empty")
        if result.duplicate:
            result = await self._unfinished(result)
            if result.duplicate:
                return InboundOutcome(
                    "duplicate", conversation_id=result.conversation_id, reason="already stored"
                )
        async with transaction(self.rt.sessions) as session:
            session.add(
                EmailRecord(
                    workspace_id=workspace_id,
                    conversation_id=result.conversation_id,
                    message_id=result.message_id,
                    direction="in",
                    rfc_message_id=rfc_id,
                    thread_key=thread_key,
                    status="processed",
                    from_addr=parsed.from_addr[:320],
                    to_addr=",".join(parsed.to)[:320],
                    subject=parsed.subject[:500],
                    meta={
                        "references": parsed.references,
                        "in_reply_to": parsed.in_reply_to,
                        "reply_to": reply_to,
                        "source": source,
                    },
                )
            )
        outcome = InboundOutcome("processed", conversation_id=result.conversation_id)
        await self._respond(result, outcome)
        log.info(
            "email.received",
            conversation_id=result.conversation_id,
            message_id=rfc_id,
            status=result.status,
            replied=outcome.replied,
            draft_id=outcome.draft_id,
        )
        return outcome

    async def _unfinished(self, result: InboundResult) -> InboundResult:
        """The Message-ID was stored by an earlier delivery that never got as far as recording
        the mail (the AI turn failed, the process died) and the sender retried: finish it.
        A delivery younger than ``RESUME_AFTER_SECONDS`` may still be in flight: left alone."""
        async with self.rt.sessions() as session:
            stmt = select(Message).where(Message.id == result.message_id)
            stored = (await session.execute(stmt)).scalar_one_or_none()
        cutoff = utcnow() - timedelta(seconds=RESUME_AFTER_SECONDS)
        if stored is None or stored.created_at > cutoff:
            return result
        response = await CustomerTurns(self.rt).answer_message(result.conversation_id, stored.id)
        log.info("email.resumed", conversation_id=result.conversation_id, message_id=stored.id)
        return InboundResult(
            conversation_id=result.conversation_id,
            customer_id=result.customer_id,
            duplicate=False,
            status=response["conversation"]["status"],
            tier=response["conversation"]["tier"],
            message_id=stored.id,
            ai_messages=[m for m in response["messages"] if m["author"] != "customer"],
        )

    # ---- answering -----------------------------------------------------------------------

    async def _respond(self, result: InboundResult, outcome: InboundOutcome) -> None:
        async with self.rt.sessions() as session:
            conv = await repo.get_conversation(session, result.conversation_id)
            assert conv is not None
            ws = await repo.get_workspace(session, conv.workspace_id)
        policy = self.rt.policies.policy(ws.slug).email
        ai = result.ai_messages
        if result.status == "bot" and ai and policy.auto_send_tier1:
            outcome.replied = await self.send_ai_messages(conv, ai)
            return
        for m in ai:  # handoff notices and the like: the customer hears from a person instead
            await record_delivery(
                self.rt,
                conv,
                m["id"],
                {"status": "held", "at": iso(utcnow()), "reason": "email waits for an agent"},
            )
        if result.status == "resolved":
            return
        # With auto_send_tier1 off, the AI's own answer is the draft.
        answer = _combined(ai) if result.status == "bot" and ai else None
        draft = await write_draft(self.rt, conv, reply_to_message_id=result.message_id, text=answer)
        outcome.draft_id = draft["id"]
        if _may_auto_send(conv, policy.auto_send_intents):
            outcome.replied = await auto_send_draft(self.rt, conv, draft["id"])

    async def send_ai_messages(self, conv: Conversation, messages: list[dict[str, Any]]) -> bool:
        """One mail for the AI's messages of a turn (greeting and answer together)."""
        adapter = EmailAdapter(self.config)
        text = _combined(messages)
        combined = {"id": messages[0]["id"], "author": "ai", "text": text, "buttons": []}
        try:
            sent_meta = await adapter.send(self.rt, conv, combined)
            delivery: dict[str, Any] = {"status": "sent", "at": iso(utcnow()), **sent_meta}
        except DeliveryError as exc:
            delivery = {"status": "failed", "at": iso(utcnow()), "error": str(exc)[:500]}
            log.warning("email.send_failed", conversation_id=conv.id, error=str(exc))
        for m in messages:
            await record_delivery(self.rt, conv, m["id"], delivery)
        return delivery["status"] == "sent"

    # ---- records -------------------------------------------------------------------------

    def _record_ignored(
        self,
        session: Any,
        workspace_id: str,
        parsed: ParsedEmail,
        rfc_id: str,
        conv: Conversation | None,
        kind: str,
        reason: str,
    ) -> None:
        session.add(
            EmailRecord(
                workspace_id=workspace_id,
                conversation_id=conv.id if conv else None,
                direction="in",
                rfc_message_id=rfc_id,
                thread_key=conv.thread_key if conv else None,
                status="ignored",
                reason=f"{kind}: {reason}"[:300],
                from_addr=parsed.from_addr[:320],
                to_addr=",".join(parsed.to)[:320],
                subject=parsed.subject[:500],
                meta={"kind": kind, "in_reply_to": parsed.in_reply_to},
            )
        )
        if conv is not None:
            repo.add_event(
                session,
                conv,
                "email.ignored",
                actor="system",
                data={
                    "kind": kind,
                    "reason": reason,
                    "message_id": rfc_id,
                    "from": parsed.from_addr,
                    "subject": parsed.subject[:200],
                },
            )

    @staticmethod
    def _message_meta(
        parsed: ParsedEmail, rfc_id: str, source: str, attachments: list[dict[str, Any]]
    ) -> dict[str, Any]:
        return {
            "message_id": rfc_id,
            "subject": parsed.subject,
            "from": parsed.from_addr,
            "to": parsed.to,
            "cc": parsed.cc,
            "in_reply_to": parsed.in_reply_to[:1],
            "format": parsed.body_format,
            "quoted_text_removed": parsed.text != parsed.body,
            "source": source,
            "attachments": attachments,
        }


def _combined(messages: list[dict[str, Any]]) -> str:
    """A turn's messages as one mail body; quick replies become numbered options."""
    return "\n\n".join(
        degrade(m["text"], m.get("buttons") or [], EMAIL_CAPABILITIES) for m in messages
    )


# A customer who asked for a person, or mail people must handle, never gets an unapproved
# answer, whatever the intent.
NEVER_AUTO_SEND = frozenset({"customer_request", "human_only", "legal_compliance", "vip"})


def _may_auto_send(conv: Conversation, intents: list[str]) -> bool:
    """The policy lets this turn's intent go out unapproved (the latest turn's intent, so
    "agent" after an order question is not answered by the AI)."""
    routing = conv.routing or {}
    intent = routing.get("intent")
    if not intent or intent not in intents:
        return False
    return not NEVER_AUTO_SEND.intersection(routing.get("reasons") or [])


def _reply_to(parsed: ParsedEmail) -> str:
    from email.utils import getaddresses

    values = [str(v) for v in parsed.message.get_all("Reply-To", [])]
    for _, addr in getaddresses(values):
        if addr and "@" in addr:
            return addr.strip().lower()
    return parsed.from_addr
