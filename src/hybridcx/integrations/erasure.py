"""integration_syncs as a personal-data store (see hybridcx.privacy.registry): an erasure asks
every CRM connector of the workspace to forget the customer (HubSpot's GDPR delete, the
Salesforce Contact anonymised), drops the customer's pending pushes, and re-points the
customer's syncs at the tombstone. It runs before the identities are erased (order 20), so
the emails the CRM is asked about include the profile's further emails."""

from __future__ import annotations

from sqlalchemy import select, update

from hybridcx.integrations.outbound import enqueue_erasure
from hybridcx.models import CustomerIdentity, IntegrationSync
from hybridcx.privacy.registry import (
    ErasureContext,
    PersonalDataStore,
    Skip,
    register_store,
)


async def _emails(ctx: ErasureContext) -> list[str]:
    identities = await ctx.session.execute(
        select(CustomerIdentity).where(
            CustomerIdentity.customer_id == ctx.customer_id, CustomerIdentity.kind == "email"
        )
    )
    found = [i.value for i in identities.scalars()]
    return [e for e in [ctx.customer.email, *found] if e]


async def _erase_syncs(ctx: ErasureContext) -> int:
    queued = await enqueue_erasure(
        ctx.session, ctx.workspace_id, ctx.customer_id, await _emails(ctx)
    )
    await ctx.session.flush()
    await ctx.session.execute(
        update(IntegrationSync)
        .where(IntegrationSync.customer_id == ctx.customer_id)
        .values(customer_id=ctx.pseudonym)
        .execution_options(synchronize_session=False)
    )
    return queued


register_store(
    PersonalDataStore(
        "integration_syncs",
        "table",
        "what was sent to a CRM: conversation and customer ids, the CRM's ids, status and "
        "attempts; an erasure's emails, sealed, until the CRM has been asked to forget them",
        erase=_erase_syncs,
        retain=Skip("ids and delivery status only; an erasure's emails are cleared once sent"),
        export=Skip("ids and delivery status only; the CRM's copy is the company's to export"),
        order=20,
    )
)
