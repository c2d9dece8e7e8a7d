"""Pending approvals: held by the AI turn, decided by a person, then run (or not) and the
customer told either way."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.approvals.deps import ApprovalDeps
from hybridcx.auth import permissions
from hybridcx.auth.service import StaffPrincipal
from hybridcx.conversations import repository as repo
from hybridcx.conversations.schemas import message_read
from hybridcx.flows.consequential import execute
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import Conflict, Forbidden, NotFound
from hybridcx.kit.events import ApprovalDecided, ApprovalRequested, MessageCreated
from hybridcx.kit.ids import new_id, utcnow
from hybridcx.kit.outbox import Outbox
from hybridcx.kit.time import iso
from hybridcx.models import Approval, Conversation


def approval_read(a: Approval) -> dict[str, Any]:
    return {
        "id": a.id,
        "conversation_id": a.conversation_id,
        "customer_id": a.customer_id,
        "action": a.action,
        "summary": a.summary,
        "amount": a.amount,
        "params": {k: v for k, v in (a.params or {}).items() if k != "email"},
        "status": a.status,
        "created_at": iso(a.created_at),
        "decided_by": a.decided_by,
        "decided_at": iso(a.decided_at) if a.decided_at else None,
        "note": a.note,
        "result": a.result or {},
    }


def record_action_requests(
    session: AsyncSession,
    outbox: Outbox,
    conv: Conversation,
    requests: Iterable[dict[str, Any]],
    *,
    turn_id: str | None,
) -> list[Approval]:
    """Persist what the AI's flows asked for this turn: pending ones become approvals; every
    request (run, refused, failed) is an event, so the record is complete."""
    held: list[Approval] = []
    for req in requests:
        data = {
            "action": req["action"],
            "amount": req.get("amount"),
            "status": req["status"],
            "turn_id": turn_id,
            "result": req.get("result") or {},
        }
        if req["status"] == "pending":
            approval = Approval(
                id=new_id(),
                workspace_id=conv.workspace_id,
                conversation_id=conv.id,
                customer_id=conv.customer_id,
                action=req["action"],
                params=dict(req.get("params") or {}),
                amount=req.get("amount"),
                summary=str(req.get("summary") or req["action"]),
                status="pending",
                result={},
                created_at=utcnow(),
            )
            session.add(approval)
            held.append(approval)
            data["approval_id"] = approval.id
            repo.add_event(session, conv, "approval.requested", actor="ai", data=data)
            outbox.emit(ApprovalRequested(conv.workspace_id, approval=approval_read(approval)))
        else:
            repo.add_event(session, conv, "action.requested", actor="ai", data=data)
    return held


class ApprovalService:
    def __init__(self, runtime: ApprovalDeps) -> None:
        self.rt = runtime

    async def list(self, principal: StaffPrincipal, status: str | None) -> list[dict[str, Any]]:
        async with self.rt.sessions() as session:
            # Only the approvals of conversations the caller may see (workspace and team).
            stmt = (
                select(Approval)
                .join(Conversation, Conversation.id == Approval.conversation_id)
                .where(
                    Approval.workspace_id == principal.workspace_id,
                    permissions.visible_conversations(principal),
                )
            )
            if status:
                stmt = stmt.where(Approval.status == status)
            rows = (await session.execute(stmt.order_by(Approval.created_at))).scalars().all()
            return [approval_read(a) for a in rows]

    async def get(self, principal: StaffPrincipal, approval_id: str) -> dict[str, Any]:
        async with self.rt.sessions() as session:
            return approval_read(await self._approval(session, principal, approval_id))

    @staticmethod
    async def _approval(
        session: AsyncSession, principal: StaffPrincipal, approval_id: str, *, lock: bool = False
    ) -> Approval:
        stmt = select(Approval).where(
            Approval.id == approval_id, Approval.workspace_id == principal.workspace_id
        )
        if lock:
            stmt = stmt.with_for_update()
        found = (await session.execute(stmt)).scalar_one_or_none()
        if found is None:
            raise NotFound("Approval not found.")
        conv = await session.get(Conversation, found.conversation_id)
        if conv is None or not permissions.can_see_conversation(principal, conv):
            raise NotFound("Approval not found.")  # another team's: as if it did not exist
        return found

    async def decide(
        self, principal: StaffPrincipal, approval_id: str, *, approve: bool, note: str | None
    ) -> dict[str, Any]:
        outbox = Outbox()
        async with transaction(self.rt.sessions) as session:
            ws = await repo.get_workspace(session, principal.workspace_id)
            roles = self.rt.policies.policy(ws.slug).compliance.approvals.approver_roles
            if principal.role not in roles:
                raise Forbidden(
                    f"Approving AI actions needs the {' or '.join(roles)} role; "
                    f"you are signed in as {principal.role}."
                )
            approval = await self._approval(session, principal, approval_id, lock=True)
            if approval.status != "pending":
                raise Conflict(f"This approval is already {approval.status}.")
            conv = await repo.get_conversation(session, approval.conversation_id)
            assert conv is not None
            approval.decided_by, approval.decided_at, approval.note = (
                principal.agent_id,
                utcnow(),
                note,
            )
            if approve:
                backend = self.rt.backend_factory(session, conv.workspace_id)
                done = await execute(backend, approval.action, approval.params)
                approval.status = "executed" if done.ok else "failed"
                approval.result = {**done.result, "ok": done.ok}
                text = f"Good news: your request was approved. {done.say}"
                if not done.ok:
                    text = f"Your request was approved, but it could not be completed: {done.say}"
            else:
                approval.status = "rejected"
                text = (
                    f"Our team reviewed your request ({approval.summary}) and could not approve "
                    "it, so nothing was changed."
                )
                if note:
                    text += f" Their note: {note}"
            repo.add_event(
                session,
                conv,
                "approval.decided",
                actor="agent",
                actor_id=principal.agent_id,
                data={
                    "approval_id": approval.id,
                    "action": approval.action,
                    "amount": approval.amount,
                    "decision": "approved" if approve else "rejected",
                    "status": approval.status,
                    "result": approval.result,
                },
            )
            msg = repo.add_message(session, conv, author="system", text=text)
            conv.updated_at = utcnow()
            await session.flush()
            outbox.emit(MessageCreated(conv.workspace_id, conv.id, message=message_read(msg)))
            result = approval_read(approval)
            outbox.emit(ApprovalDecided(conv.workspace_id, approval=result))
        await outbox.flush(self.rt)
        return result
