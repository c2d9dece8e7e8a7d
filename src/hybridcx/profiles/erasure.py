"""The personal-data stores of the customer profile (see hybridcx.privacy.registry):
an erasure deletes the customer's identities (and those a merge copied from them onto another
customer) and re-points the merge records at the tombstone."""

from __future__ import annotations

from sqlalchemy import or_, select, update

from hybridcx.kit.time import iso
from hybridcx.models import CustomerIdentity, CustomerMerge
from hybridcx.privacy.registry import (
    ErasureContext,
    ExportContext,
    PersonalDataStore,
    Skip,
    register_store,
)
from hybridcx.privacy.stores._sql import delete_where_in


async def _merge_ids_of(ctx: ErasureContext | ExportContext) -> list[str]:
    stmt = select(CustomerMerge.id).where(
        CustomerMerge.workspace_id == ctx.workspace_id,
        or_(
            CustomerMerge.survivor_id == ctx.customer.id, CustomerMerge.merged_id == ctx.customer.id
        ),
    )
    return list((await ctx.session.execute(stmt)).scalars())


async def _erase_identities(ctx: ErasureContext) -> int:
    absorbed = select(CustomerMerge.id).where(CustomerMerge.merged_id == ctx.customer_id)
    copied = list((await ctx.session.execute(absorbed)).scalars())
    n = await delete_where_in(ctx.session, CustomerIdentity, CustomerIdentity.merge_id, copied)
    return n + await delete_where_in(
        ctx.session, CustomerIdentity, CustomerIdentity.customer_id, [ctx.customer_id]
    )


async def _export_identities(ctx: ExportContext) -> None:
    stmt = (
        select(CustomerIdentity)
        .where(CustomerIdentity.customer_id == ctx.customer.id)
        .order_by(CustomerIdentity.created_at)
    )
    ctx.document["identities"] = [
        {"kind": i.kind, "value": i.value, "verified": i.verified, "source": i.source}
        for i in (await ctx.session.execute(stmt)).scalars()
    ]


register_store(
    PersonalDataStore(
        "customer_identities",
        "table",
        "further emails, phone numbers, external and CRM ids of a customer (sealed)",
        erase=_erase_identities,
        retain=Skip("kept while the customer is; an erasure deletes them"),
        export=_export_identities,
        order=60,
    )
)


async def _erase_merges(ctx: ErasureContext) -> int:
    n = 0
    for column in ("survivor_id", "merged_id"):
        result = await ctx.session.execute(
            update(CustomerMerge)
            .where(getattr(CustomerMerge, column) == ctx.customer_id)
            .values({column: ctx.pseudonym, "status": "erased"})
            .execution_options(synchronize_session=False)
        )
        n += result.rowcount or 0  # type: ignore[attr-defined]
    return n


async def _export_merges(ctx: ExportContext) -> None:
    stmt = select(CustomerMerge).where(CustomerMerge.id.in_(await _merge_ids_of(ctx)))
    ctx.document["merges"] = [
        {"status": m.status, "reason": m.reason, "created_at": iso(m.created_at)}
        for m in (await ctx.session.execute(stmt)).scalars()
    ]


register_store(
    PersonalDataStore(
        "customer_merges",
        "table",
        "which customer records were merged into which (ids, what moved by id)",
        erase=_erase_merges,
        retain=Skip("ids only; kept while the customer is"),
        export=_export_merges,
        order=60,
    )
)
