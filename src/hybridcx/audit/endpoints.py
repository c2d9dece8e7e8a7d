"""``GET /api/v1/audit``: the audit log of the caller's workspace, newest first (auditors, admins)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from hybridcx.audit.repository import AuditFilter, query_entries
from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import AuditReader
from hybridcx.kit.time import iso

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


class AuditEntryRead(BaseModel):
    id: str
    at: str
    workspace_id: str | None
    actor_type: str
    actor_id: str | None
    action: str
    target_type: str | None
    target_id: str | None
    ip: str | None
    details: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditEntryRead]
    offset: int
    limit: int
    next_offset: int | None


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is None:
        return value
    try:
        return value.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # 0001-01-01T00:00+05:00 is before the first representable instant
        return datetime.min if value.year == 1 else datetime.max


def entry_read(entry: Any) -> AuditEntryRead:
    return AuditEntryRead(
        id=entry.id,
        at=iso(entry.at) or "",
        workspace_id=entry.workspace_id,
        actor_type=entry.actor_type,
        actor_id=entry.actor_id,
        action=entry.action,
        target_type=entry.target_type,
        target_id=entry.target_id,
        ip=entry.ip,
        details=dict(entry.details or {}),
    )


@router.get("", response_model=AuditPage)
async def read_audit_log(
    staff: AuditReader,
    runtime: RuntimeDep,
    actor: Annotated[str | None, Query(max_length=64, description="Actor id")] = None,
    action: Annotated[
        str | None, Query(max_length=64, description="Exact action, or a prefix ending in '.'")
    ] = None,
    target: Annotated[str | None, Query(max_length=64, description="Target id")] = None,
    from_: Annotated[
        datetime | None, Query(alias="from", description="ISO 8601, inclusive")
    ] = None,
    to: Annotated[datetime | None, Query(description="ISO 8601, exclusive")] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditPage:
    """Who did what to which customer's data: reads, exports, erasures, takeovers, transfers,
    role changes, logins, model deployments and policy changes."""
    flt = AuditFilter(
        workspace_id=staff.workspace_id,
        actor=actor,
        action=action,
        target=target,
        since=_naive_utc(from_),
        until=_naive_utc(to),
    )
    async with runtime.sessions() as session:
        rows = await query_entries(session, flt, offset=offset, limit=limit + 1)
    more = len(rows) > limit
    return AuditPage(
        items=[entry_read(r) for r in rows[:limit]],
        offset=offset,
        limit=limit,
        next_offset=offset + limit if more else None,
    )
