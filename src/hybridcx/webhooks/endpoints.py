"""``/api/v1/webhooks``: a workspace's outbound webhook subscriptions (admins)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator

from hybridcx.audit import record as audit
from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import WebhookManager
from hybridcx.conversations.schemas import clean_text
from hybridcx.kit.db import transaction
from hybridcx.kit.time import iso
from hybridcx.models import WebhookEndpoint
from hybridcx.webhooks import service
from hybridcx.webhooks.service import EVENT_TYPES

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl = Field(description="http(s) URL that receives signed POSTs.")
    event_types: list[str] = Field(
        min_length=1, max_length=len(EVENT_TYPES), description=f"Any of {', '.join(EVENT_TYPES)}."
    )
    description: str = Field(default="", max_length=200)

    @field_validator("url")
    @classmethod
    def short_url(cls, value: AnyHttpUrl) -> AnyHttpUrl:
        if len(str(value)) > 2000:
            raise ValueError("URL over 2000 characters")
        return value

    @field_validator("description")
    @classmethod
    def clean_description(cls, value: str) -> str:
        return clean_text(value)

    @field_validator("event_types")
    @classmethod
    def known_types(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(EVENT_TYPES))
        if unknown:
            raise ValueError(f"unknown event types {unknown}; use {', '.join(EVENT_TYPES)}")
        return sorted(set(value))


class WebhookRead(BaseModel):
    id: str
    url: str
    event_types: list[str]
    description: str
    created_at: str


class WebhookCreated(WebhookRead):
    secret: str = Field(description="whsec_… signing secret; shown only now.")


class WebhookList(BaseModel):
    items: list[WebhookRead]
    event_types: list[str]


class DeliveryRead(BaseModel):
    id: str
    event_type: str
    status: str
    attempt_count: int
    attempts: list[dict[str, Any]]
    next_attempt_at: str | None
    delivered_at: str | None
    created_at: str


class DeliveryList(BaseModel):
    items: list[DeliveryRead]


def _read(ep: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": ep.id,
        "url": ep.url,
        "event_types": list(ep.event_types or []),
        "description": ep.description,
        "created_at": iso(ep.created_at) or "",
    }


@router.post("", status_code=201, response_model=WebhookCreated)
async def create_webhook(
    body: WebhookCreate, staff: WebhookManager, runtime: RuntimeDep
) -> dict[str, Any]:
    """Subscribe a URL to event types. Each POST carries ``webhook-id``, ``webhook-timestamp``
    and ``webhook-signature`` (Standard Webhooks, HMAC-SHA256 with the returned secret)."""
    async with transaction(runtime.sessions) as session:
        endpoint = service.create_endpoint(
            session,
            staff.workspace_id,
            url=str(body.url),
            event_types=body.event_types,
            description=body.description,
        )
        audit(
            session,
            action="webhook.created",
            actor=staff,
            target_type="webhook",
            target_id=endpoint.id,
            details={"url": endpoint.url, "event_types": body.event_types},
        )
        return {**_read(endpoint), "secret": endpoint.secret}


@router.get("", response_model=WebhookList)
async def list_webhooks(staff: WebhookManager, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.sessions() as session:
        rows = await service.endpoints_of(session, staff.workspace_id)
        return {"items": [_read(e) for e in rows], "event_types": list(EVENT_TYPES)}


@router.get("/{webhook_id}/deliveries", response_model=DeliveryList)
async def list_deliveries(
    webhook_id: str, staff: WebhookManager, runtime: RuntimeDep
) -> dict[str, Any]:
    """The latest 100 deliveries with every attempt (time, HTTP status, error, duration)."""
    async with runtime.sessions() as session:
        await service.endpoint_in(session, webhook_id, staff.workspace_id)
        rows = await service.deliveries_of(session, webhook_id)
        return {
            "items": [
                {
                    "id": d.id,
                    "event_type": d.event_type,
                    "status": d.status,
                    "attempt_count": d.attempt_count,
                    "attempts": list(d.attempts or []),
                    "next_attempt_at": iso(d.next_attempt_at) if d.status == "pending" else None,
                    "delivered_at": iso(d.delivered_at),
                    "created_at": iso(d.created_at) or "",
                }
                for d in rows
            ]
        }


@router.delete("/{webhook_id}", status_code=204, response_class=Response)
async def delete_webhook(webhook_id: str, staff: WebhookManager, runtime: RuntimeDep) -> Response:
    async with transaction(runtime.sessions) as session:
        endpoint = await service.endpoint_in(session, webhook_id, staff.workspace_id)
        await service.delete_endpoint(session, endpoint)
        audit(
            session,
            action="webhook.deleted",
            actor=staff,
            target_type="webhook",
            target_id=webhook_id,
            details={"url": endpoint.url},
        )
    return Response(status_code=204)
