"""The personal-data stores of staff search, tags and custom fields (see
hybridcx.privacy.registry): the search index, tags and custom field values go with an erasure; the index and the conversation's field
values with retention (their transcript is gone)."""

from __future__ import annotations

from sqlalchemy import select

from hybridcx.models import ConversationTag, CustomerTag, CustomFieldValue, SearchToken
from hybridcx.privacy.registry import (
    ErasureContext,
    ExportContext,
    PersonalDataStore,
    RetentionContext,
    Skip,
    register_store,
)
from hybridcx.privacy.stores._sql import chunks, delete_where_in


async def _erase_tokens(ctx: ErasureContext) -> int:
    n = await delete_where_in(
        ctx.session, SearchToken, SearchToken.conversation_id, ctx.conversation_ids
    )
    return n + await delete_where_in(
        ctx.session, SearchToken, SearchToken.customer_id, [ctx.customer_id]
    )


async def _retain_tokens(ctx: RetentionContext) -> int:
    return await delete_where_in(
        ctx.session, SearchToken, SearchToken.conversation_id, ctx.conversation_ids
    )


register_store(
    PersonalDataStore(
        "search_tokens",
        "table",
        "keyed hashes (HMAC) of the words of a conversation's customer and agent messages and "
        "of the customer's name",
        erase=_erase_tokens,
        retain=_retain_tokens,
        export=Skip("keyed hashes of words of the messages and name that are in the export"),
        order=10,
    )
)


async def _erase_tags(ctx: ErasureContext) -> int:
    n = await delete_where_in(
        ctx.session, ConversationTag, ConversationTag.conversation_id, ctx.conversation_ids
    )
    return n + await delete_where_in(
        ctx.session, CustomerTag, CustomerTag.customer_id, [ctx.customer_id]
    )


async def _export_conversation_tags(ctx: ExportContext) -> None:
    for part in chunks(ctx.conversation_ids):
        stmt = (
            select(ConversationTag.conversation_id, ConversationTag.tag)
            .where(ConversationTag.conversation_id.in_(part))
            .order_by(ConversationTag.tag)
        )
        for cid, tag in (await ctx.session.execute(stmt)).all():
            ctx.conversation(cid).setdefault("tags", []).append(tag)


async def _export_customer_tags(ctx: ExportContext) -> None:
    stmt = select(CustomerTag.tag).where(CustomerTag.customer_id == ctx.customer.id)
    ctx.document["tags"] = sorted((await ctx.session.execute(stmt)).scalars())


register_store(
    PersonalDataStore(
        "conversation_tags",
        "table",
        "the tags staff or the AI put on the customer's conversations",
        erase=_erase_tags,
        retain=Skip("a label from the workspace's list, no text: kept for the KPIs by tag"),
        export=_export_conversation_tags,
        order=10,
    )
)
register_store(
    PersonalDataStore(
        "customer_tags",
        "table",
        "the tags staff put on the customer",
        erase=_erase_tags,
        retain=Skip("kept while the customer is; an erasure deletes them"),
        export=_export_customer_tags,
        order=10,
    )
)


async def _erase_fields(ctx: ErasureContext) -> int:
    n = await delete_where_in(
        ctx.session, CustomFieldValue, CustomFieldValue.conversation_id, ctx.conversation_ids
    )
    return n + await delete_where_in(
        ctx.session, CustomFieldValue, CustomFieldValue.customer_id, [ctx.customer_id]
    )


async def _retain_fields(ctx: RetentionContext) -> int:
    return await delete_where_in(
        ctx.session, CustomFieldValue, CustomFieldValue.conversation_id, ctx.conversation_ids
    )


async def _export_fields(ctx: ExportContext) -> None:
    stmt = select(CustomFieldValue).where(CustomFieldValue.customer_id == ctx.customer.id)
    ctx.document["custom_fields"] = {
        v.key: v.value for v in (await ctx.session.execute(stmt)).scalars()
    }
    for part in chunks(ctx.conversation_ids):
        cstmt = select(CustomFieldValue).where(CustomFieldValue.conversation_id.in_(part))
        for v in (await ctx.session.execute(cstmt)).scalars():
            fields = ctx.conversation(v.conversation_id or "").setdefault("custom_fields", {})
            fields[v.key] = v.value


register_store(
    PersonalDataStore(
        "custom_field_values",
        "table",
        "values of the workspace's custom fields on the customer and their conversations (sealed)",
        erase=_erase_fields,
        retain=_retain_fields,
        export=_export_fields,
        order=10,
    )
)
