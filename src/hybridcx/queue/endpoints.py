from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import QueueReader, visible_conversations
from hybridcx.conversations import repository as repo
from hybridcx.queue.service import queue_entries, queue_item
from hybridcx.search.service import tagged, tags_of  # the queue by tag

router = APIRouter(prefix="/api/v1/queue", tags=["queue"])


@router.get("")
async def read_queue(
    staff: QueueReader,
    runtime: RuntimeDep,
    tag: Annotated[
        list[str] | None, Query(max_length=10, description="Only with these tags.")
    ] = None,
) -> dict[str, Any]:
    """Queued conversations across channels, highest priority first, each with its handoff
    and its tags."""
    async with runtime.sessions() as session:
        ws = await repo.get_workspace(session, staff.workspace_id)
        entries = await queue_entries(
            session,
            ws.id,
            runtime.policies.policy(ws.slug).queue,
            scope=tagged(visible_conversations(staff), ws.id, tag or []),
        )
        items = [queue_item(e, i) for i, e in enumerate(entries, start=1)]
        tags = await tags_of(session, [item["conversation_id"] for item in items])
        return {
            "items": [{**item, "tags": tags.get(item["conversation_id"], [])} for item in items]
        }
