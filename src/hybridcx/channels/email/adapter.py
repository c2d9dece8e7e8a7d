"""The email channel's outbound adapter: a stored reply goes out by SMTP in the customer's
thread (In-Reply-To / References), from the support address."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from hybridcx.channels.base import Capabilities, DeliveryError, degrade
from hybridcx.channels.email import repository as erepo
from hybridcx.channels.email.config import EmailConfig
from hybridcx.channels.email.smtp import compose, reply_subject
from hybridcx.conversations import repository as repo
from hybridcx.kit.db import transaction
from hybridcx.models import EmailRecord

if TYPE_CHECKING:
    from hybridcx.channels.deps import ChannelDeps
    from hybridcx.models import Conversation

_RELATIVE_LINK = re.compile(r"\((/[^\s()]*)\)")
EMAIL_CAPABILITIES = Capabilities(buttons=False, attachments=True, max_length=None, markup="text")
AI_FOOTER = (
    "-- \nThis answer was written by our AI assistant. "
    'Reply "agent" if you would rather hear from a person.'
)


class EmailAdapter:
    """Sends one stored message (the AI's or an agent's) as a reply in the conversation's
    mail thread and records its Message-ID, so the customer's answer threads back here."""

    channel = "email"
    capabilities = EMAIL_CAPABILITIES

    def __init__(self, config: EmailConfig) -> None:
        self.config = config

    async def send(
        self, rt: ChannelDeps, conversation: Conversation, message: dict[str, Any]
    ) -> dict[str, Any]:
        relay = self.config.relay
        if relay is None:
            raise DeliveryError("No outbound mail relay: set HYBRIDCX_SMTP_URL.")
        async with rt.sessions() as session:
            last = await erepo.last_inbound(session, conversation.id)
            customer = await repo.get_customer(session, conversation.customer_id)
        to = ((last.meta or {}).get("reply_to") or last.from_addr) if last else customer.email
        if not to:
            raise DeliveryError("This customer has no email address to reply to.")
        subject = (
            last.subject
            if last
            else ((conversation.channel_meta or {}).get("email") or {}).get("subject", "")
        )
        text = degrade(message["text"], message.get("buttons") or [], self.capabilities)
        public = rt.settings.public_url
        if public:  # "Source: … (/help/articles/x)" must work from a mail client
            text = _RELATIVE_LINK.sub(lambda m: f"({public.rstrip('/')}{m.group(1)})", text)
        automatic = message.get("author") == "ai"
        if automatic:
            text = f"{text}\n\n{AI_FOOTER}"
        mail = compose(
            sender=self.config.support_email,
            sender_name=self.config.support_name,
            to=to,
            # a proactive notice opens the thread; it is no reply
            subject=subject
            if last is None and (conversation.channel_meta or {}).get("outreach")
            else reply_subject(subject),
            text=text,
            in_reply_to=last.rfc_message_id if last else None,
            references=list((last.meta or {}).get("references", [])) if last else [],
            automatic=automatic,
        )
        await relay.send(mail, sender=self.config.support_email, recipients=[to])
        rfc_id = str(mail["Message-ID"])
        async with transaction(rt.sessions) as session:
            session.add(
                EmailRecord(
                    workspace_id=conversation.workspace_id,
                    conversation_id=conversation.id,
                    message_id=message.get("id"),
                    direction="out",
                    rfc_message_id=rfc_id,
                    thread_key=conversation.thread_key,
                    status="sent",
                    from_addr=self.config.support_email,
                    to_addr=to,
                    subject=str(mail["Subject"])[:500],
                    meta={"automatic": automatic, "in_reply_to": mail.get("In-Reply-To")},
                )
            )
        return {"email_message_id": rfc_id, "to": to}


def adapter_factory(rt: ChannelDeps) -> EmailAdapter | None:
    config = rt.email
    return EmailAdapter(config) if config is not None else None
