"""What the conversation services share: the runtime, a conversation's state as customers and
desks see it, and the ownership checks."""

from __future__ import annotations

from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.auth import permissions
from hybridcx.auth.service import CustomerPrincipal, StaffPrincipal
from hybridcx.conversations import repository as repo
from hybridcx.conversations.deps import ConversationDeps
from hybridcx.conversations.schemas import (
    conversation_state,
)
from hybridcx.kit.errors import (
    Unauthorized,
)
from hybridcx.models import Agent, Conversation
from hybridcx.queue.service import dispatch, queue_position

log = structlog.get_logger(__name__)

NOT_FOUND = "Conversation not found."


class ConversationBase:
    def __init__(self, runtime: ConversationDeps) -> None:
        self.rt = runtime

    async def _customer_conversation(
        self, session: AsyncSession, conversation_id: str, principal: CustomerPrincipal
    ) -> Conversation:
        conv = await repo.get_conversation(session, conversation_id)
        return permissions.customer_owns(principal, conv)

    async def _state(self, session: AsyncSession, conv: Conversation) -> dict[str, Any]:
        agent = None
        if conv.assigned_agent_id:
            agent = await repo.get_agent(
                session, conv.assigned_agent_id, workspace_id=conv.workspace_id
            )
        position = None
        if conv.status == "queued":
            slug = await repo.workspace_slug(session, conv.workspace_id)
            position = await queue_position(session, conv, self.rt.policies.policy(slug).queue)
        return conversation_state(conv, agent=agent, queue_position=position)

    async def _dispatch_if_queued(self, conv: Conversation) -> None:
        if conv.status == "queued":
            await dispatch(self.rt, conv.workspace_id)

    async def _staff_conversation(
        self, session: AsyncSession, conversation_id: str, principal: StaffPrincipal
    ) -> Conversation:
        conv = await repo.get_conversation(
            session, conversation_id, workspace_id=principal.workspace_id
        )
        return permissions.check_conversation(principal, conv)

    async def _me(self, session: AsyncSession, principal: StaffPrincipal) -> Agent:
        agent = await repo.get_agent(
            session, principal.agent_id, workspace_id=principal.workspace_id
        )
        if agent is None:
            raise Unauthorized("Your staff account no longer exists.")
        return agent
