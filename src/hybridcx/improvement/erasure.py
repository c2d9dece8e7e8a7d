"""Erasure (privacy, issue 9) reaches the training sets: a customer's training examples go, and
their messages leave discovered intent clusters. Registered with hybridcx.privacy.erasure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.models import Conversation, IntentCluster, TrainingExample
from hybridcx.privacy import erasure

if TYPE_CHECKING:
    from hybridcx.runtime import Runtime


async def erase_training_data(session: AsyncSession, _rt: Runtime, customer_id: str) -> Any:
    conversation_ids = set(
        (
            await session.execute(
                select(Conversation.id).where(Conversation.customer_id == customer_id)
            )
        ).scalars()
    )
    if not conversation_ids:
        return {"training_examples": 0, "cluster_examples": 0}
    ids = sorted(conversation_ids)
    removed = 0
    for i in range(0, len(ids), 500):
        result = await session.execute(
            delete(TrainingExample).where(TrainingExample.conversation_id.in_(ids[i : i + 500]))
        )
        removed += result.rowcount or 0  # type: ignore[attr-defined]
    scrubbed = 0
    for cluster in (await session.execute(select(IntentCluster))).scalars():
        kept = [
            e for e in cluster.examples or [] if e.get("conversation_id") not in conversation_ids
        ]
        if len(kept) != len(cluster.examples or []):
            scrubbed += len(cluster.examples) - len(kept)
            cluster.examples = kept
    return {"training_examples": removed, "cluster_examples": scrubbed}


erasure.register("training_data", erase_training_data)
