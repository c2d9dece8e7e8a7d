"""``/api/v1/business-hours``: a workspace's opening hours, holidays and idle-close time, and
each team's own hours (supervisors and admins change them, audited; every staff member reads
them); and the customer's after-hours choice on a queued conversation (issue 19)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.audit import record as audit
from hybridcx.auth.deps import RuntimeDep, bearer_token
from hybridcx.auth.permissions import ConversationSupervisor, QueueReader, customer_owns
from hybridcx.auth.service import CustomerPrincipal
from hybridcx.conversations import repository as repo
from hybridcx.hours import service
from hybridcx.hours.calendar import Calendar, CalendarError
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import InvalidInput, NotFound
from hybridcx.kit.ids import utcnow
from hybridcx.kit.time import iso
from hybridcx.models import BusinessHours

router = APIRouter(tags=["business hours"])
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


@router.get("/api/v1/business-hours")
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
    session: AsyncSession, workspace_id: str, team: str, body: HoursWrite
) -> tuple[BusinessHours, bool]:
    row = await service.hours_row(session, workspace_id, team)
    created = row is None
    if row is None:
        row = BusinessHours(workspace_id=workspace_id, team=team)
        session.add(row)
    row.timezone = body.timezone
    row.weekly = {day: [s.model_dump() for s in spans] for day, spans in body.weekly.items()}
    row.exceptions = [e.model_dump() for e in body.exceptions]
    row.updated_at = utcnow()
    return row, created


@router.put("/api/v1/business-hours")
async def write_hours(
    body: WorkspaceHoursWrite, staff: ConversationSupervisor, runtime: RuntimeDep
) -> dict[str, Any]:
    """Set the workspace's hours, holidays and idle-close time (supervisors, admins; audited)."""
    _validated(body)
    async with transaction(runtime.sessions) as session:
        row, created = await _save(session, staff.workspace_id, "", body)
        row.idle_close_minutes = body.idle_close_minutes
        await session.flush()
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


@router.put("/api/v1/business-hours/teams/{team}")
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
        await session.flush()
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
        row = await service.hours_row(session, staff.workspace_id, team)
        if row is None:
            raise NotFound(f"Team {team!r} has no hours of its own.")
        await session.delete(row)
        audit(
            session,
            action="business_hours.deleted",
            actor=staff,
            target_type="business_hours",
            target_id=row.id,
            details={"team": team},
        )
    return Response(status_code=204)


@router.post("/api/v1/conversations/{conversation_id}/after-hours")
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
