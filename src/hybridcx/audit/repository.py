"""Reading the audit log (there is deliberately no write path here besides ``audit.record``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.models import AuditEntry


@dataclass(frozen=True)
class AuditFilter:
    workspace_id: str | None = None  # None: every workspace (the CLI only)
    actor: str | None = None
    action: str | None = None  # exact, or a prefix when it ends with "."
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def query_entries(
    session: AsyncSession, flt: AuditFilter, *, offset: int = 0, limit: int = 50
) -> Sequence[AuditEntry]:
    stmt = select(AuditEntry)
    if flt.workspace_id is not None:
        stmt = stmt.where(AuditEntry.workspace_id == flt.workspace_id)
    if flt.actor:
        stmt = stmt.where(AuditEntry.actor_id == flt.actor)
    if flt.action:
        if flt.action.endswith("."):
            stmt = stmt.where(AuditEntry.action.startswith(flt.action, autoescape=True))
        else:
            stmt = stmt.where(AuditEntry.action == flt.action)
    if flt.target:
        # A customer is logged under a keyed pseudonym (hybridcx.audit): match that too.
        from hybridcx.audit import customer_pseudonym

        pseudonym = customer_pseudonym(session, flt.target)
        stmt = stmt.where(AuditEntry.target_id.in_([flt.target, pseudonym]))
    if flt.since:
        stmt = stmt.where(AuditEntry.at >= flt.since)
    if flt.until:
        stmt = stmt.where(AuditEntry.at < flt.until)
    stmt = stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).offset(offset).limit(limit)
    return (await session.execute(stmt)).scalars().all()
