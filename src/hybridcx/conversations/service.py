"""Conversations: starting one, and reading them (customers their own, staff their workspace's).

The customer's turns are in ``turns`` (CustomerTurns), what people do with a conversation in
``handling`` (ConversationHandling); the three share ``common.ConversationBase``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.audit import record as audit
from hybridcx.auth import permissions
from hybridcx.auth.permissions import Perm
from hybridcx.auth.service import CustomerPrincipal, StaffPrincipal
from hybridcx.conversations import repository as repo
from hybridcx.conversations.common import ConversationBase
from hybridcx.conversations.schemas import (
    ConversationCreate,
    conversation_state,
    customer_read,
    event_read,
    message_read,
)
from hybridcx.conversations.turns import CustomerTurns
from hybridcx.customers.repository import find_or_create_customer_row
from hybridcx.integrations.outbound import enqueue_customer_push
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import (
    NotFound,
    Unauthorized,
)
from hybridcx.kit.ids import new_token
from hybridcx.kit.outbox import Outbox
from hybridcx.kit.security import verify_identity_hash
from hybridcx.kit.time import iso
from hybridcx.models import Message
from hybridcx.profiles.service import link_verified_email

log = structlog.get_logger(__name__)


class ConversationService(ConversationBase):
    async def start(self, body: ConversationCreate) -> dict[str, Any]:
        outbox = Outbox()
        token = new_token()
        async with transaction(self.rt.sessions) as session:
            inbox = await repo.find_inbox(session, body.inbox)
            if inbox is None:
                raise NotFound(
                    f"Unknown inbox {body.inbox!r}."
                    if body.inbox
                    else "No default web chat inbox is set up."
                )
            verified = False
            if body.identity_hash is not None:
                if not verify_identity_hash(
                    inbox.hmac_secret, body.customer.email, body.identity_hash
                ):
                    raise Unauthorized("identity_hash does not match this email for this inbox.")
                verified = True
            customer, new_customer = await find_or_create_customer_row(
                session, inbox.workspace_id, email=str(body.customer.email), name=body.customer.name
            )
            if new_customer and customer.name:  # the name the chat gave: the CRM's rules permitting
                await enqueue_customer_push(session, inbox.workspace_id, customer.id, ["name"])
            conv, created = await CustomerTurns(self.rt).open_conversation(
                session,
                outbox,
                inbox=inbox,
                customer=customer,
                channel=body.channel,
                token=token,
                verified=verified,
            )
            if verified:  # a proven email joins the one customer profile
                await link_verified_email(session, customer, str(body.customer.email))
            messages = [message_read(m) for m in created]
        await outbox.flush(self.rt)
        await self._dispatch_if_queued(conv)
        log.info("conversation.started", conversation_id=conv.id, status=conv.status)
        return {
            "id": conv.id,
            "customer_token": token,
            "status": conv.status,
            "tier": conv.tier,
            "messages": messages,
        }

    # ---- reading -------------------------------------------------------------------------

    async def read(
        self, conversation_id: str, principal: StaffPrincipal | CustomerPrincipal
    ) -> dict[str, Any]:
        async with self.rt.sessions() as session:
            if isinstance(principal, StaffPrincipal):
                permissions.check(principal, Perm.CONVERSATIONS_READ)
                conv = await self._staff_conversation(session, conversation_id, principal)
            else:
                conv = await self._customer_conversation(session, conversation_id, principal)
            staff = isinstance(principal, StaffPrincipal)
            messages = await repo.list_messages(session, conv.id, include_internal=staff)
            events = await repo.list_events(session, conv.id)
            names = await self._agent_names(session, conv.workspace_id, messages)
            state = await self._state(session, conv)
            customer = await repo.get_customer(session, conv.customer_id)
            read = {
                **state,
                "channel": conv.channel,
                "created_at": event_read(events[0], full=False)["created_at"] if events else None,
                "identity_verified": conv.identity_verified,
                "customer": customer_read(customer) if staff else None,
                "handoff": conv.handoff if staff else None,
                "channel_meta": dict(conv.channel_meta or {}) if staff else None,
                "messages": [message_read(m, names) for m in messages],
                "events": [event_read(e, full=staff) for e in events],
            }
        if isinstance(principal, StaffPrincipal):  # staff reading a customer's conversation
            async with transaction(self.rt.sessions) as session:
                audit(
                    session,
                    action="conversation.read",
                    actor=principal,
                    target_type="conversation",
                    target_id=conversation_id,
                    details={"customer_id": conv.customer_id},
                )
        return read

    async def _agent_names(
        self, session: AsyncSession, workspace_id: str, messages: Sequence[Message]
    ) -> dict[str, str]:
        names: dict[str, str] = {}
        for agent_id in {m.agent_id for m in messages if m.agent_id}:
            agent = await repo.get_agent(session, agent_id, workspace_id=workspace_id)
            if agent:
                names[agent_id] = agent.name
        return names

    async def list_for_staff(
        self, principal: StaffPrincipal, status: str | None
    ) -> list[dict[str, Any]]:
        async with self.rt.sessions() as session:
            rows = await repo.list_conversations(
                session,
                principal.workspace_id,
                status=status,
                scope=permissions.visible_conversations(principal),
            )
            return [
                {
                    **conversation_state(conv),
                    "channel": conv.channel,
                    "customer": {
                        "id": cust.id,
                        "name": cust.name,
                        "email": cust.email,
                        "phone": cust.phone,
                        "vip": cust.vip,
                    },
                    "assigned_agent_id": conv.assigned_agent_id,
                    "updated_at": iso(conv.updated_at),
                }
                for conv, cust in rows
            ]
