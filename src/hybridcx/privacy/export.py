"""Everything held about one customer, as one JSON document (GDPR art. 15 / CCPA "right to know").

Each personal-data store of the registry (``registry.py``) adds its part: the profile, the
conversations with their messages, events and email drafts, past cases, mail records, the
attachment files (content in base64), held actions, experiment arms, the company's records and
erasure requests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.kit.errors import NotFound
from hybridcx.kit.ids import utcnow
from hybridcx.kit.time import iso
from hybridcx.models import Conversation
from hybridcx.privacy.registry import ExportContext, Skip, registered_stores
from hybridcx.privacy.stores import customer_query

if TYPE_CHECKING:
    from hybridcx.kit.deps import HasDataDir

EXPORT_FORMAT = "hybridcx-customer-export/1"


async def export_customer(
    session: AsyncSession, workspace_id: str, customer_id: str, *, runtime: HasDataDir | None = None
) -> dict[str, Any]:
    customer = (
        await session.execute(customer_query(workspace_id, customer_id))
    ).scalar_one_or_none()
    if customer is None:
        raise NotFound("Customer not found.")
    conv_ids = list(
        (
            await session.execute(
                select(Conversation.id)
                .where(
                    Conversation.workspace_id == workspace_id,
                    Conversation.customer_id == customer.id,
                )
                .order_by(Conversation.created_at, Conversation.id)
            )
        ).scalars()
    )
    ctx = ExportContext(
        session=session,
        runtime=runtime,
        workspace_id=workspace_id,
        customer=customer,
        conversation_ids=conv_ids,
        document={"format": EXPORT_FORMAT, "exported_at": iso(utcnow())},
    )
    for cid in conv_ids:
        ctx.conversation(cid).update({"messages": [], "events": []})
    for store in registered_stores():
        if not isinstance(store.export, Skip):
            await store.export(ctx)
    ctx.document["conversations"] = [ctx.conversations[cid] for cid in conv_ids]
    ctx.document.setdefault("attachments", [])
    return ctx.document
