from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import QueueReader, visible_conversations
from hybridcx.conversations import repository as repo
from hybridcx.queue.service import queue_entries, queue_item

router = APIRouter(prefix="/api/v1/queue", tags=["queue"])


@router.get("")
async def read_queue(staff: QueueReader, runtime: RuntimeDep) -> dict[str, Any]:
    """Queued conversations across channels, highest priority first, each with its handoff."""
    async with runtime.sessions() as session:
        ws = await repo.get_workspace(session, staff.workspace_id)
        entries = await queue_entries(
            session,
            ws.id,
            runtime.policies.policy(ws.slug).queue,
            scope=visible_conversations(staff),
        )
        return {"items": [queue_item(e, i) for i, e in enumerate(entries, start=1)]}
