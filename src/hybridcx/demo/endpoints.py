"""Demo-only window on the emails the demo company "sent" (reset links, one-time codes)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import OutboxReader
from hybridcx.kit.time import iso
from hybridcx.models import DemoOutbox

router = APIRouter(prefix="/api/v1/demo", tags=["demo"])


@router.get("/outbox")
async def demo_outbox(
    staff: OutboxReader,
    runtime: RuntimeDep,
    to: str | None = Query(default=None, description="Filter by email."),
) -> dict[str, Any]:
    """Newest first. Lets you read the one-time code or reset link a demo flow sent (admins and supervisors)."""
    async with runtime.sessions() as session:
        stmt = select(DemoOutbox).where(DemoOutbox.workspace_id == staff.workspace_id)
        if to:
            stmt = stmt.where(DemoOutbox.to_email == to.strip().lower())
        rows = (
            await session.execute(stmt.order_by(DemoOutbox.created_at.desc()).limit(50))
        ).scalars()
        return {
            "items": [
                {"to": r.to_email, "kind": r.kind, "body": r.body, "sent_at": iso(r.created_at)}
                for r in rows
            ]
        }
