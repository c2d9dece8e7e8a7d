"""``/api/v1/outreach``: proactive outreach campaigns. Supervisors and admins read,
write, run and approve them; every change and every run is audited."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from hybridcx import audit
from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import ConversationSupervisor
from hybridcx.kit.db import transaction
from hybridcx.outreach import service
from hybridcx.outreach.schemas import (
    CampaignList,
    CampaignRead,
    CampaignRunList,
    OutreachStatsRead,
    SignalList,
)
from hybridcx.outreach.signals import SIGNALS

router = APIRouter(tags=["outreach"])
BASE = "/api/v1/outreach"


class CampaignWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    signal: str = Field(description="One of: " + ", ".join(SIGNALS))
    channels: list[str] = Field(min_length=1, max_length=2, description="sms and/or email")
    templates: dict[str, str] = Field(
        default_factory=dict,
        description="sms, email, email_subject (with {first_name}, {order_number}, ...) and "
        "sms_from (the number or Messaging Service SID notices come from).",
    )
    segment: dict[str, Any] = Field(
        default_factory=dict, description='{"vip": true} and/or {"attributes": {"plan": "pro"}}'
    )
    approval_threshold: int = Field(default=50, ge=0, le=1_000_000)
    holdout: float = Field(
        default=0.0, ge=0, le=0.5, description="Share held out as a control group (no notice)."
    )
    paused: bool = False


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    campaign_id: str | None = Field(default=None, max_length=36)
    at: datetime | None = Field(
        default=None, description="Evaluate the signals as of this instant (default: now)."
    )
    dry_run: bool = False


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


@router.get(BASE + "/signals", response_model=SignalList)
async def list_signals(staff: ConversationSupervisor) -> dict[str, Any]:
    return {"items": [{"name": k, "description": v} for k, v in SIGNALS.items()]}


@router.get(BASE + "/campaigns", response_model=CampaignList)
async def list_campaigns(staff: ConversationSupervisor, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.sessions() as session:
        rows = await service.list_campaigns(session, staff.workspace_id)
    return {"items": [service.campaign_read(c) for c in rows]}


@router.post(BASE + "/campaigns", status_code=201, response_model=CampaignRead)
async def create_campaign(
    body: CampaignWrite, staff: ConversationSupervisor, runtime: RuntimeDep
) -> dict[str, Any]:
    async with transaction(runtime.sessions) as session:
        row = await service.create_campaign(session, staff, body.model_dump())
        return service.campaign_read(row)


@router.get(BASE + "/campaigns/{campaign_id}", response_model=CampaignRead)
async def get_campaign(
    campaign_id: str, staff: ConversationSupervisor, runtime: RuntimeDep
) -> dict[str, Any]:
    async with runtime.sessions() as session:
        return service.campaign_read(
            await service.get_campaign(session, staff.workspace_id, campaign_id)
        )


@router.post(BASE + "/campaigns/{campaign_id}/approve", response_model=CampaignRead)
async def approve_campaign(
    campaign_id: str, staff: ConversationSupervisor, runtime: RuntimeDep
) -> dict[str, Any]:
    return await service.approve(runtime, staff, campaign_id)


@router.post(
    BASE + "/run",
    response_model=CampaignRunList,
    # a paused campaign's run has no audience counts: they stay absent, not null
    response_model_exclude_unset=True,
)
async def run(
    body: RunRequest, staff: ConversationSupervisor, runtime: RuntimeDep
) -> dict[str, Any]:
    """Evaluate one campaign (or every active one of the workspace) now, or as of ``at``."""
    at = _naive_utc(body.at)
    async with runtime.sessions() as session:
        if body.campaign_id:
            ids = [(await service.get_campaign(session, staff.workspace_id, body.campaign_id)).id]
        else:
            ids = [
                c.id
                for c in await service.list_campaigns(session, staff.workspace_id)
                if c.status != "paused"
            ]
    results = [
        await service.run_campaign(runtime, staff.workspace_id, cid, now=at, dry_run=body.dry_run)
        for cid in ids
    ]
    async with transaction(runtime.sessions) as session:
        audit.record(
            session,
            action="outreach.run",
            actor=staff,
            target_type="outreach_campaign",
            target_id=body.campaign_id,
            details={
                "dry_run": body.dry_run,
                "sent": sum(r.get("sent", 0) for r in results),
                "campaigns": len(results),
            },
        )
    return {"items": results}


@router.get(BASE + "/stats", response_model=OutreachStatsRead)
async def outreach_stats(staff: ConversationSupervisor, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.sessions() as session:
        return await service.stats(session, staff.workspace_id)
