"""``/api/v1/business-hours``: a workspace's opening hours, holidays and idle-close time, and
each team's own hours (supervisors and admins change them, audited; every staff member reads
them); the customer's after-hours choice on a queued conversation; ``/api/v1/sla``: SLA
policies and their attainment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from hybridcx.audit import record as audit
from hybridcx.auth.deps import RuntimeDep, bearer_token
from hybridcx.auth.permissions import (
    AnalyticsReader,
    ConversationReader,
    ConversationSupervisor,
    QueueReader,
    check_conversation,
    customer_owns,
)
from hybridcx.auth.service import CustomerPrincipal
from hybridcx.conversations import repository as repo
from hybridcx.hours import service, sla
from hybridcx.hours.calendar import Calendar, CalendarError
from hybridcx.hours.schemas import (
    AfterHoursChoiceRead,
    BusinessHoursRead,
    ConversationSlaRead,
    HoursRead,
    SlaPolicyList,
    SlaWindowAttainment,
    WorkspaceHoursRead,
)
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import InvalidInput
from hybridcx.kit.ids import utcnow
from hybridcx.kit.time import iso
from hybridcx.models import BusinessHours, SlaPolicy

router = APIRouter(tags=["business hours"])
CHANNELS = ("webchat", "sms", "voice", "email")
TEAM = Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")


class Span(BaseModel):
    model_config = ConfigDict(extra="forbid")

    open: str = Field(description="HH:MM, local time", examples=["09:00"])
    close: str = Field(description="HH:MM, local time (24:00 for midnight)", examples=["17:00"])


class Exception_(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: str = Field(description="YYYY-MM-DD, local date", examples=["2026-12-25"])
    name: str = Field(default="", max_length=100, examples=["Christmas Day"])
    hours: list[Span] = Field(
        default_factory=list, max_length=6, description="Empty: closed all day."
    )


class HoursWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(max_length=64, description="IANA name", examples=["Europe/Berlin"])
    weekly: dict[str, list[Span]] = Field(
        default_factory=dict,
        description="Spans per day (mon … sun); a day left out is closed. No days and no "
        "exceptions: open all the time.",
    )
    exceptions: list[Exception_] = Field(default_factory=list, max_length=400)


class WorkspaceHoursWrite(HoursWrite):
    idle_close_minutes: int | None = Field(
        default=None,
        ge=5,
        le=60 * 24 * 30,
        description="Close conversations waiting on the customer this long (None: never).",
    )


class CallbackChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    choice: Literal["message", "callback"]
    callback_at: datetime | None = Field(
        default=None, description="For a callback: when to call (ISO 8601; UTC if no offset)."
    )
    phone: str | None = Field(default=None, max_length=40, description="The number to call.")


def _validated(body: HoursWrite) -> Calendar:
    try:
        return Calendar.from_config(
            body.timezone,
            {day: [s.model_dump() for s in spans] for day, spans in body.weekly.items()},
            [e.model_dump() for e in body.exceptions],
        )
    except CalendarError as exc:
        raise InvalidInput(str(exc)) from None


def _read(row: BusinessHours | None, *, team: str = "") -> dict[str, Any]:
    calendar = service.calendar_of(row)
    now = utcnow()
    open_now = calendar.is_open(now)
    next_open = None if open_now else calendar.next_opening(now)
    return {
        "team": team or None,
        "configured": row is not None,
        "timezone": calendar.timezone,
        "weekly": dict(row.weekly or {}) if row else {},
        "exceptions": list(row.exceptions or []) if row else [],
        "always_open": calendar.always_open,
        "open_now": open_now,
        "next_open": iso(next_open) if next_open else None,
        "closes_at": iso(c) if (c := calendar.next_closing(now)) else None,
        "updated_at": iso(row.updated_at) if row else None,
    }


@router.get("/api/v1/business-hours", response_model=BusinessHoursRead)
async def read_hours(staff: QueueReader, runtime: RuntimeDep) -> dict[str, Any]:
    """The workspace's hours (and whether it is open now), and each team's own."""
    async with runtime.sessions() as session:
        rows = await service.hours_rows(session, staff.workspace_id)
    ws = next((r for r in rows if r.team == ""), None)
    return {
        "workspace": {**_read(ws), "idle_close_minutes": ws.idle_close_minutes if ws else None},
        "teams": [_read(r, team=r.team) for r in rows if r.team],
    }


async def _save(
    session: Any,
    workspace_id: str,
    team: str,
    body: HoursWrite,
    idle_close_minutes: int | None = None,
) -> tuple[BusinessHours, bool]:
    return await service.save_hours(
        session,
        workspace_id,
        team,
        timezone=body.timezone,
        weekly={day: [s.model_dump() for s in spans] for day, spans in body.weekly.items()},
        exceptions=[e.model_dump() for e in body.exceptions],
        idle_close_minutes=idle_close_minutes,
    )


@router.put("/api/v1/business-hours", response_model=WorkspaceHoursRead)
async def write_hours(
    body: WorkspaceHoursWrite, staff: ConversationSupervisor, runtime: RuntimeDep
) -> dict[str, Any]:
    """Set the workspace's hours, holidays and idle-close time (supervisors, admins; audited)."""
    _validated(body)
    async with transaction(runtime.sessions) as session:
        row, created = await _save(session, staff.workspace_id, "", body, body.idle_close_minutes)
        audit(
            session,
            action="business_hours.updated",
            actor=staff,
            target_type="business_hours",
            target_id=row.id,
            details={
                "team": None,
                "created": created,
                "timezone": body.timezone,
                "days": sorted(body.weekly),
                "exceptions": len(body.exceptions),
                "idle_close_minutes": body.idle_close_minutes,
            },
        )
        return {**_read(row), "idle_close_minutes": row.idle_close_minutes}


@router.put("/api/v1/business-hours/teams/{team}", response_model=HoursRead)
async def write_team_hours(
    body: HoursWrite,
    staff: ConversationSupervisor,
    runtime: RuntimeDep,
    team: Annotated[str, TEAM],
) -> dict[str, Any]:
    """Set one team's hours, which override the workspace's for its conversations."""
    _validated(body)
    async with transaction(runtime.sessions) as session:
        row, created = await _save(session, staff.workspace_id, team, body)
        audit(
            session,
            action="business_hours.updated",
            actor=staff,
            target_type="business_hours",
            target_id=row.id,
            details={
                "team": team,
                "created": created,
                "timezone": body.timezone,
                "days": sorted(body.weekly),
                "exceptions": len(body.exceptions),
            },
        )
        return _read(row, team=team)


@router.delete("/api/v1/business-hours/teams/{team}", status_code=204)
async def delete_team_hours(
    staff: ConversationSupervisor, runtime: RuntimeDep, team: Annotated[str, TEAM]
) -> Response:
    """The team follows the workspace's hours again."""
    async with transaction(runtime.sessions) as session:
        row = await service.delete_team_hours(session, staff.workspace_id, team)
        audit(
            session,
            action="business_hours.deleted",
            actor=staff,
            target_type="business_hours",
            target_id=row.id,
            details={"team": team},
        )
    return Response(status_code=204)


@router.post(
    "/api/v1/conversations/{conversation_id}/after-hours", response_model=AfterHoursChoiceRead
)
async def choose_after_hours(
    conversation_id: str,
    body: CallbackChoice,
    token: Annotated[str, Depends(bearer_token)],
    runtime: RuntimeDep,
) -> dict[str, Any]:
    """The customer's choice while the team is away: leave a message for follow-up (by email,
    else SMS), or a callback at a time the team is open. Customer token only."""
    async with runtime.sessions() as session:
        conv = customer_owns(
            CustomerPrincipal(token=token), await repo.get_conversation(session, conversation_id)
        )
    return await service.record_choice(
        runtime, conv, choice=body.choice, callback_at=body.callback_at, phone=body.phone
    )


# ---- SLA policies -------------------------------------------------------------------------------


class PolicyWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, examples=["VIP chat"])
    tier: int | None = Field(default=None, ge=1, le=3, description="None: any tier")
    channel: str | None = Field(
        default=None, max_length=20, description="webchat, sms, voice, email; None: any"
    )
    vip: bool | None = Field(default=None, description="None: VIP or not")
    first_response_minutes: float = Field(gt=0, le=60 * 24 * 30)
    next_response_minutes: float | None = Field(default=None, gt=0, le=60 * 24 * 30)
    warn_before_minutes: float = Field(default=5, ge=0, le=60 * 24)
    business_hours: bool = Field(
        default=True, description="Count only open hours (the conversation's calendar)."
    )


class PoliciesWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policies: list[PolicyWrite] = Field(max_length=50)


def _policy_read(p: SlaPolicy) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "tier": p.tier,
        "channel": p.channel,
        "vip": p.vip,
        "first_response_minutes": p.first_response_seconds / 60,
        "next_response_minutes": p.next_response_seconds / 60 if p.next_response_seconds else None,
        "warn_before_minutes": p.warn_before_seconds / 60,
        "business_hours": p.business_hours,
    }


@router.get("/api/v1/sla/policies", response_model=SlaPolicyList)
async def read_policies(staff: QueueReader, runtime: RuntimeDep) -> dict[str, Any]:
    """The workspace's SLA policies, in order (the most specific match applies)."""
    async with runtime.sessions() as session:
        rows = await sla.policies_of(session, staff.workspace_id)
    return {"items": [_policy_read(p) for p in rows]}


@router.put("/api/v1/sla/policies", response_model=SlaPolicyList)
async def write_policies(
    body: PoliciesWrite, staff: ConversationSupervisor, runtime: RuntimeDep
) -> dict[str, Any]:
    """Replace the workspace's SLA policies (supervisors, admins; audited). Clocks already
    running keep their deadline; a conversation whose policy is gone stops being timed."""
    seen: set[tuple[Any, ...]] = set()
    for p in body.policies:
        key = (p.tier, p.channel, p.vip)
        if key in seen:
            raise InvalidInput(
                f"Two policies match the same conversations (tier={p.tier}, "
                f"channel={p.channel}, vip={p.vip}): keep one."
            )
        seen.add(key)
        if p.channel is not None and p.channel not in CHANNELS:
            raise InvalidInput(f"Unknown channel {p.channel!r}: use {', '.join(CHANNELS)}.")
    async with transaction(runtime.sessions) as session:
        before, rows = await service.replace_sla_policies(
            session, staff.workspace_id, [p.model_dump() for p in body.policies]
        )
        audit(
            session,
            action="sla.policies_updated",
            actor=staff,
            target_type="sla_policies",
            target_id=staff.workspace_id,
            details={"before": before, "after": [p.name for p in body.policies]},
        )
        return {"items": [_policy_read(p) for p in rows]}


@router.get("/api/v1/sla/attainment", response_model=SlaWindowAttainment)
async def attainment(
    staff: AnalyticsReader,
    runtime: RuntimeDep,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: Annotated[datetime | None, Query()] = None,
) -> dict[str, Any]:
    """SLA attainment: responses within target over all timed responses, overall and by tier,
    channel and team, with breaches (default: the last 7 days)."""
    end = _naive(to) if to else utcnow()
    start = _naive(from_) if from_ else end - timedelta(days=7)
    if start >= end:
        raise InvalidInput("'from' must be before 'to'.")
    if end - start > timedelta(days=400):
        raise InvalidInput("The window is at most 400 days.")
    async with runtime.sessions() as session:
        events = await service.sla_events(session, staff.workspace_id, start, end)
    return {
        "from": iso(start),
        "to": iso(end),
        **sla.attainment_of(events),
    }


def _naive(t: datetime) -> datetime:
    return t if t.tzinfo is None else t.astimezone(UTC).replace(tzinfo=None)


@router.get("/api/v1/sla/conversations/{conversation_id}", response_model=ConversationSlaRead)
async def conversation_sla(
    conversation_id: str, staff: ConversationReader, runtime: RuntimeDep
) -> dict[str, Any]:
    """One conversation's SLA clock (None when no policy applies), for the conversation view."""
    async with runtime.sessions() as session:
        conv = check_conversation(
            staff,
            await repo.get_conversation(session, conversation_id, workspace_id=staff.workspace_id),
        )
    return {"conversation_id": conv.id, "status": conv.status, "sla": sla.sla_view(conv.sla)}
