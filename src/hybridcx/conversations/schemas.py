"""Request and response shapes of the conversations API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from hybridcx.kit.time import iso
from hybridcx.models import Agent, Conversation, ConversationEvent, Customer, Message

CHANNELS = ("webchat", "portal")


def clean_text(value: str) -> str:
    """Reject what no database stores faithfully: NUL characters and unpaired surrogates."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must be valid Unicode text (it has an unpaired surrogate)") from exc
    return value


class CustomerIdentity(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    name: str = Field(default="", max_length=200)

    @field_validator("name")
    @classmethod
    def valid_name(cls, value: str) -> str:
        return clean_text(value)


class ConversationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Literal["webchat", "portal"] = "webchat"
    customer: CustomerIdentity
    inbox: str | None = Field(default=None, max_length=64, description="Public inbox key.")
    identity_hash: str | None = Field(
        default=None,
        max_length=128,
        description="HMAC-SHA256 of the email with the inbox secret; marks the customer verified.",
    )


class MessageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="The message; at most HYBRIDCX_MAX_MESSAGE_CHARS characters.")

    @field_validator("text")
    @classmethod
    def not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text must not be empty")
        return clean_text(value)


class ReplyCreate(MessageCreate):
    internal: bool = Field(
        default=False, description="An internal note, never shown to the customer."
    )


class TransferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: str | None = Field(default=None, description="Hand straight to this agent.")
    skill: str | None = Field(default=None, max_length=64, description="Requeue for this skill.")
    tier: Literal[1, 2, 3] | None = None
    note: str | None = Field(default=None, max_length=2000)


class MessageRead(BaseModel):
    id: str
    author: Literal["customer", "ai", "agent", "system"]
    text: str
    created_at: str
    internal: bool = False
    agent_name: str | None = None
    buttons: list[str] = []
    channel_meta: dict[str, Any] = {}


class RoutingRead(BaseModel):
    intent: str | None = None
    confidence: float | None = None
    sentiment: float | None = None
    emotion: str | None = None
    reasons: list[str] = []


class ConversationState(BaseModel):
    id: str
    status: Literal["bot", "queued", "assigned", "resolved"]
    tier: int
    routing: RoutingRead
    queue_position: int | None = None
    agent: dict[str, str] | None = None
    after_hours: dict[str, Any] | None = None


class ConversationCreated(BaseModel):
    id: str
    customer_token: str
    status: str
    tier: int
    messages: list[MessageRead]


class TurnRead(BaseModel):
    messages: list[MessageRead]
    conversation: ConversationState


class EventRead(BaseModel):
    id: str
    type: str
    actor: str
    created_at: str
    data: dict[str, Any] = {}


class ConversationRead(BaseModel):
    id: str
    channel: str
    status: str
    tier: int
    created_at: str
    identity_verified: bool
    routing: RoutingRead
    queue_position: int | None = None
    agent: dict[str, str] | None = None
    customer: dict[str, Any] | None = None
    handoff: dict[str, Any] | None = None
    # Channels (staff only): numbers, call sid, transfer, the agent's call leg, wrap-up.
    channel_meta: dict[str, Any] | None = None
    after_hours: dict[str, Any] | None = None
    messages: list[MessageRead]
    events: list[EventRead]


def message_read(msg: Message, agent_names: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "id": msg.id,
        "author": msg.author,
        "text": msg.text,
        "created_at": iso(msg.created_at),
        "internal": msg.internal,
        "agent_name": (agent_names or {}).get(msg.agent_id or "") if msg.agent_id else None,
        "buttons": list(msg.buttons or []),
        # Channels: provider ids, delivery status, transcript details ({} for web chat).
        "channel_meta": dict(msg.channel_meta or {}),
    }


def routing_read(conv: Conversation) -> dict[str, Any]:
    r = conv.routing or {}
    return {
        "intent": r.get("intent"),
        "confidence": r.get("confidence"),
        "sentiment": r.get("sentiment"),
        "emotion": r.get("emotion"),
        "reasons": list(r.get("reasons", [])),
    }


def agent_ref(agent: Agent | None) -> dict[str, str] | None:
    return {"id": agent.id, "name": agent.name} if agent else None


def conversation_state(
    conv: Conversation, *, agent: Agent | None = None, queue_position: int | None = None
) -> dict[str, Any]:
    return {
        "id": conv.id,
        "status": conv.status,
        "tier": conv.tier,
        "routing": routing_read(conv),
        "queue_position": queue_position,
        "agent": agent_ref(agent),
        "after_hours": conv.after_hours,  # queued while closed, and the choice
    }


def customer_read(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.id,
        "email": customer.email,
        "name": customer.name,
        "phone": customer.phone,
        "external_id": customer.external_id,
        "vip": customer.vip,
        "lifetime_value": customer.lifetime_value,
        "human_only": customer.human_only,
        "attributes": dict(customer.attributes or {}),
    }


def event_read(event: ConversationEvent, *, full: bool) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type,
        "actor": event.actor,
        "created_at": iso(event.created_at),
        "data": event.data if full else {},
    }
