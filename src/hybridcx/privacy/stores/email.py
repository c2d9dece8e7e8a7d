"""The email channel's stores: mail records, drafts and the attachment files."""

from __future__ import annotations

from sqlalchemy import delete, or_, select

from hybridcx.kit.normalize import normalize_email
from hybridcx.kit.time import iso
from hybridcx.models import (
    Conversation,
    EmailDraft,
    EmailRecord,
)
from hybridcx.privacy import attachments
from hybridcx.privacy.registry import (
    ErasureContext,
    ExportContext,
    PersonalDataStore,
    RetentionContext,
    register_store,
)
from hybridcx.privacy.stores._sql import chunks, delete_where_in, rows

# ---- email: mail records, drafts, attachment files ------------------------------------------


async def _erase_mail_records(ctx: ErasureContext) -> int:
    n = await delete_where_in(
        ctx.session, EmailRecord, EmailRecord.conversation_id, ctx.conversation_ids
    )
    # Ignored mail (auto-replies, bounces) that reached no conversation: found by the sender,
    # which is sealed, so read and compared here.
    address = normalize_email(ctx.customer.email) if ctx.customer.email else None
    if address:
        stmt = select(EmailRecord).where(
            EmailRecord.workspace_id == ctx.workspace_id, EmailRecord.conversation_id.is_(None)
        )
        theirs = [
            r.id
            for r in await rows(ctx.session, stmt)
            if normalize_email(r.from_addr or "") == address
        ]
        n += await delete_where_in(ctx.session, EmailRecord, EmailRecord.id, theirs)
    return n


async def _retain_mail_records(ctx: RetentionContext) -> int:
    n = await delete_where_in(
        ctx.session, EmailRecord, EmailRecord.conversation_id, ctx.conversation_ids
    )
    # Older than the cutoff and tied to no live conversation (ignored mail, or mail recorded
    # after its conversation's transcript had already gone).
    expired = select(Conversation.id).where(
        Conversation.workspace_id == ctx.workspace_id,
        Conversation.status == "resolved",
        Conversation.resolved_at < ctx.cutoff,
    )
    result = await ctx.session.execute(
        delete(EmailRecord).where(
            EmailRecord.workspace_id == ctx.workspace_id,
            EmailRecord.created_at < ctx.cutoff,
            or_(EmailRecord.conversation_id.is_(None), EmailRecord.conversation_id.in_(expired)),
        )
    )
    return n + (result.rowcount or 0)  # type: ignore[attr-defined]


async def _export_mail_records(ctx: ExportContext) -> None:
    out = ctx.document.setdefault("email", [])
    for part in chunks(ctx.conversation_ids):
        stmt = (
            select(EmailRecord)
            .where(EmailRecord.conversation_id.in_(part))
            .order_by(EmailRecord.created_at)
        )
        out.extend(
            {
                "conversation_id": r.conversation_id,
                "direction": r.direction,
                "message_id": r.rfc_message_id,
                "status": r.status,
                "reason": r.reason,
                "from": r.from_addr,
                "to": r.to_addr,
                "subject": r.subject,
                "meta": r.meta,
                "at": iso(r.created_at),
            }
            for r in await rows(ctx.session, stmt)
        )


register_store(
    PersonalDataStore(
        "email_messages",
        "table",
        "every mail received or sent: sender, recipient, subject, headers (Reply-To, References)",
        erase=_erase_mail_records,
        retain=_retain_mail_records,
        export=_export_mail_records,
        order=30,
    )
)


async def _erase_drafts(ctx: ErasureContext) -> int:
    return await delete_where_in(
        ctx.session, EmailDraft, EmailDraft.conversation_id, ctx.conversation_ids
    )


async def _retain_drafts(ctx: RetentionContext) -> int:
    n = await delete_where_in(
        ctx.session, EmailDraft, EmailDraft.conversation_id, ctx.conversation_ids
    )
    expired = select(Conversation.id).where(
        Conversation.workspace_id == ctx.workspace_id,
        Conversation.status == "resolved",
        Conversation.resolved_at < ctx.cutoff,
    )
    result = await ctx.session.execute(
        delete(EmailDraft).where(
            EmailDraft.workspace_id == ctx.workspace_id,
            EmailDraft.created_at < ctx.cutoff,
            EmailDraft.conversation_id.in_(expired),
        )
    )
    return n + (result.rowcount or 0)  # type: ignore[attr-defined]


async def _export_drafts(ctx: ExportContext) -> None:
    for part in chunks(ctx.conversation_ids):
        stmt = (
            select(EmailDraft)
            .where(EmailDraft.conversation_id.in_(part))
            .order_by(EmailDraft.created_at)
        )
        for d in await rows(ctx.session, stmt):
            ctx.conversation(d.conversation_id).setdefault("email_drafts", []).append(
                {
                    "id": d.id,
                    "status": d.status,
                    "text": d.text,
                    "original_text": d.original_text,
                    "created_at": iso(d.created_at),
                    "decided_at": iso(d.decided_at),
                }
            )


register_store(
    PersonalDataStore(
        "email_drafts",
        "table",
        "replies the AI drafted for an agent to approve (they quote the customer)",
        erase=_erase_drafts,
        retain=_retain_drafts,
        export=_export_drafts,
        order=30,
    )
)


register_store(
    PersonalDataStore(
        attachments.STORE,
        "files",
        "files customers attached to their mail, sealed with the key ring",
        erase=attachments.erase,
        retain=attachments.retain,
        export=attachments.export,
        order=10,  # listed in the messages, so before they go
    )
)
