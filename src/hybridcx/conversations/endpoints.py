"""Thin HTTP layer: parse, authorize, call one service method, return."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request

from hybridcx.auth.deps import AnyPrincipal, RuntimeDep, bearer_token
from hybridcx.auth.permissions import ConversationHandler, ConversationReader, TakeoverStaff
from hybridcx.auth.service import CustomerPrincipal
from hybridcx.conversations.handling import ConversationHandling
from hybridcx.conversations.schemas import (
    ConversationCreate,
    ConversationCreated,
    ConversationRead,
    ConversationState,
    MessageCreate,
    MessageRead,
    ReplyCreate,
    TransferRequest,
    TurnRead,
)
from hybridcx.conversations.service import ConversationService
from hybridcx.conversations.turns import CustomerTurns
from hybridcx.search.endpoints import SearchParams, search_conversations_page
from hybridcx.security.middleware import limit_customer

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


@router.post("", status_code=201, response_model=ConversationCreated)
async def start_conversation(
    body: ConversationCreate, runtime: RuntimeDep, request: Request
) -> dict[str, Any]:
    """Start a conversation as a customer. Keep `customer_token`: it opens this conversation only."""
    await limit_customer(request.app.state, str(body.customer.email).strip().lower())
    return await ConversationService(runtime).start(body)


@router.get("", summary="List and search conversations (staff)")
async def list_conversations(
    staff: ConversationReader,
    runtime: RuntimeDep,
    status: Annotated[Literal["bot", "queued", "assigned", "resolved"] | None, Query()] = None,
    search: Annotated[SearchParams, Depends()] = SearchParams(),  # noqa: B008
) -> dict[str, Any]:
    """Newest first, in pages: pass ``next_cursor`` back as ``cursor`` for the next one.
    Filters: words of messages or the customer's name (``q``), customer, status,
    tier, channel, tags (all of them), agent, created in [since, until), intent."""
    return await search_conversations_page(runtime, staff, status, search)


@router.get(
    "/{conversation_id}", response_model=ConversationRead, response_model_exclude_none=False
)
async def read_conversation(
    conversation_id: str, principal: AnyPrincipal, runtime: RuntimeDep
) -> dict[str, Any]:
    """The conversation with its messages and events (customers never see internal notes)."""
    return await ConversationService(runtime).read(conversation_id, principal)


@router.post("/{conversation_id}/messages", response_model=TurnRead)
async def post_message(
    conversation_id: str,
    body: MessageCreate,
    token: Annotated[str, Depends(bearer_token)],
    runtime: RuntimeDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """A customer message. The message is stored before the AI answers; retrying with the same
    `Idempotency-Key` returns the first result and stores the message once."""
    # The customer's token is checked against the conversation in the service; a staff token
    # is recognised only when it fails there (no staff lookup on every customer message).
    return await CustomerTurns(runtime).post_customer_message(
        conversation_id, CustomerPrincipal(token=token), body.text, idempotency_key
    )


@router.post("/{conversation_id}/accept", response_model=ConversationState)
async def accept(
    conversation_id: str, staff: ConversationHandler, runtime: RuntimeDep
) -> dict[str, Any]:
    """Claim a queued conversation. Exactly one of several concurrent accepts succeeds (409 else)."""
    return await ConversationHandling(runtime).accept(conversation_id, staff)


@router.post("/{conversation_id}/takeover", response_model=ConversationState)
async def take_over(
    conversation_id: str, staff: TakeoverStaff, runtime: RuntimeDep
) -> dict[str, Any]:
    """Supervisor: take a conversation from the AI, the queue or another agent."""
    return await ConversationHandling(runtime).take_over(conversation_id, staff)


@router.post("/{conversation_id}/replies", response_model=MessageRead)
async def reply(
    conversation_id: str,
    body: ReplyCreate,
    staff: ConversationHandler,
    runtime: RuntimeDep,
) -> dict[str, Any]:
    """An agent reply, or with `internal: true` a note only staff see."""
    return await ConversationHandling(runtime).reply(
        conversation_id, staff, body.text, internal=body.internal
    )


@router.post("/{conversation_id}/transfer", response_model=ConversationState)
async def transfer(
    conversation_id: str,
    staff: ConversationHandler,
    runtime: RuntimeDep,
    body: TransferRequest | None = None,
) -> dict[str, Any]:
    """Hand to another agent (`agent_id`) or back to the queue (optionally for a `skill`/`tier`)."""
    return await ConversationHandling(runtime).transfer(
        conversation_id, staff, body or TransferRequest()
    )


@router.post("/{conversation_id}/resolve", response_model=ConversationState)
async def resolve(
    conversation_id: str, staff: ConversationHandler, runtime: RuntimeDep
) -> dict[str, Any]:
    return await ConversationHandling(runtime).resolve(conversation_id, staff)
