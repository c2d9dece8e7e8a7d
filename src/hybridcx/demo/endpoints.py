"""Demo-only window on the emails the demo company "sent" (reset links, one-time codes)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import OutboxReader
from hybridcx.demo.repository import recent_outbox
from hybridcx.kit.time import iso

router = APIRouter(prefix="/api/v1/demo", tags=["demo"])


@router.get("/outbox")
async def demo_outbox(
    staff: OutboxReader,
    runtime: RuntimeDep,
    to: str | None = Query(default=None, description="Filter by email."),
) -> dict[str, Any]:
    """Newest first. Lets you read the one-time code or reset link a demo flow sent (admins and supervisors)."""
    async with runtime.sessions() as session:
        rows = await recent_outbox(session, staff.workspace_id, to)
        return {
            "items": [
                {"to": r.to_email, "kind": r.kind, "body": r.body, "sent_at": iso(r.created_at)}
                for r in rows
            ]
        }
