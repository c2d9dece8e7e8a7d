"""The learning loop's personal-data stores (see hybridcx.privacy.registry): a customer's
training examples go with an erasure, and their messages leave discovered intent clusters."""

from __future__ import annotations

from sqlalchemy import delete, select

from hybridcx.models import IntentCluster, TrainingExample
from hybridcx.privacy.registry import ErasureContext, PersonalDataStore, Skip, register_store


async def erase_training_examples(ctx: ErasureContext) -> int:
    ids = ctx.conversation_ids
    removed = 0
    for i in range(0, len(ids), 500):
        result = await ctx.session.execute(
            delete(TrainingExample).where(TrainingExample.conversation_id.in_(ids[i : i + 500]))
        )
        removed += result.rowcount or 0  # type: ignore[attr-defined]
    return removed


async def erase_cluster_examples(ctx: ErasureContext) -> int:
    conversation_ids = set(ctx.conversation_ids)
    if not conversation_ids:
        return 0
    scrubbed = 0
    stmt = select(IntentCluster).where(IntentCluster.workspace_id == ctx.workspace_id)
    for cluster in (await ctx.session.execute(stmt)).scalars():
        kept = [
            e for e in cluster.examples or [] if e.get("conversation_id") not in conversation_ids
        ]
        if len(kept) != len(cluster.examples or []):
            scrubbed += len(cluster.examples) - len(kept)
            cluster.examples = kept
    return scrubbed


_REDACTED = (
    "text with PII removed (redact_for_training), only from customers who consented to "
    "training; kept as the training set of the intent model"
)

register_store(
    PersonalDataStore(
        "training_examples",
        "table",
        "customer requests (PII removed) labelled for training, with their conversation",
        erase=erase_training_examples,
        retain=Skip(_REDACTED),
        export=Skip(_REDACTED + "; the messages they came from are in the export"),
        order=20,
    )
)
register_store(
    PersonalDataStore(
        "intent_clusters",
        "table",
        "example messages (PII removed) of discovered intents, with their conversation",
        erase=erase_cluster_examples,
        retain=Skip(_REDACTED),
        export=Skip(_REDACTED + "; the messages they came from are in the export"),
        order=20,
    )
)
