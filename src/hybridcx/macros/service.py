"""Macros: a workspace's saved replies. Supervisors write them; an agent applies one, which
fills the reply box (placeholders from the conversation), and sends it: the reply goes out and
the macro's actions run, each recorded as a ``macro.action`` event on the conversation."""

from __future__ import annotations

from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.approvals.service import approval_read
from hybridcx.audit import record as audit
from hybridcx.auth import permissions
from hybridcx.auth.service import StaffPrincipal
from hybridcx.conversations import repository as repo
from hybridcx.conversations.handling import ConversationHandling
from hybridcx.conversations.schemas import TransferRequest, message_read
from hybridcx.flows.consequential import execute, needs_approval
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import AppError, Conflict, InvalidInput, NotFound
from hybridcx.kit.events import ApprovalRequested, MessageCreated
from hybridcx.kit.ids import new_id, utcnow
from hybridcx.kit.outbox import Outbox
from hybridcx.kit.time import iso
from hybridcx.macros.actions import MACRO_ACTIONS, check_actions
from hybridcx.macros.deps import MacroDeps
from hybridcx.macros.placeholders import check_text, fill, names_in
from hybridcx.models import Agent, Approval, Conversation, Macro
from hybridcx.nlu.entities import extract_entities
from hybridcx.tags.service import tag_conversation, tag_name

log = structlog.get_logger(__name__)


def macro_read(m: Macro) -> dict[str, Any]:
    return {
        "id": m.id,
        "name": m.name,
        "text": m.text,
        "actions": list(m.actions or []),
        "placeholders": names_in(m.text),
        "created_at": iso(m.created_at),
        "updated_at": iso(m.updated_at),
    }


def clean(name: str, text: str, actions: list[Any]) -> tuple[str, str, list[dict[str, Any]]]:
    name = name.strip()
    if not name:
        raise InvalidInput("A macro needs a name.")
    check_text(text)
    cleaned = check_actions(MACRO_ACTIONS, actions)
    for action in cleaned:
        if action["type"] == "tag":
            action["tag"] = tag_name(str(action["tag"]))  # the format; existence when it runs
    if not text.strip() and not cleaned:
        raise InvalidInput("A macro needs reply text or at least one action.")
    return name, text, cleaned


async def list_macros(session: AsyncSession, workspace_id: str) -> list[Macro]:
    stmt = select(Macro).where(Macro.workspace_id == workspace_id).order_by(Macro.name)
    return list((await session.execute(stmt)).scalars().all())


async def get_macro(session: AsyncSession, workspace_id: str, macro_id: str) -> Macro:
    stmt = select(Macro).where(Macro.id == macro_id, Macro.workspace_id == workspace_id)
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise NotFound("No such macro in this workspace.")
    return found


async def create(
    rt: MacroDeps, staff: StaffPrincipal, *, name: str, text: str, actions: list[Any]
) -> dict[str, Any]:
    name, text, cleaned = clean(name, text, actions)
    try:
        async with transaction(rt.sessions) as session:
            now = utcnow()
            m = Macro(
                id=new_id(),
                workspace_id=staff.workspace_id,
                name=name,
                text=text,
                actions=cleaned,
                created_at=now,
                updated_at=now,
            )
            session.add(m)
            await session.flush()
            audit(
                session,
                action="macro.created",
                actor=staff,
                target_type="macro",
                target_id=m.id,
                details={"name": name, "actions": [a["type"] for a in cleaned]},
            )
            return macro_read(m)
    except IntegrityError:
        raise Conflict(f"A macro named {name!r} already exists in this workspace.") from None


async def update(
    rt: MacroDeps, staff: StaffPrincipal, macro_id: str, *, name: str, text: str, actions: list[Any]
) -> dict[str, Any]:
    name, text, cleaned = clean(name, text, actions)
    try:
        async with transaction(rt.sessions) as session:
            m = await get_macro(session, staff.workspace_id, macro_id)
            before = {"name": m.name, "actions": [a["type"] for a in m.actions or []]}
            m.name, m.text, m.actions, m.updated_at = name, text, cleaned, utcnow()
            await session.flush()
            audit(
                session,
                action="macro.updated",
                actor=staff,
                target_type="macro",
                target_id=m.id,
                details={
                    "before": before,
                    "after": {"name": name, "actions": [a["type"] for a in cleaned]},
                },
            )
            return macro_read(m)
    except IntegrityError:
        raise Conflict(f"A macro named {name!r} already exists in this workspace.") from None


async def delete(rt: MacroDeps, staff: StaffPrincipal, macro_id: str) -> None:
    async with transaction(rt.sessions) as session:
        m = await get_macro(session, staff.workspace_id, macro_id)
        audit(
            session,
            action="macro.deleted",
            actor=staff,
            target_type="macro",
            target_id=m.id,
            details={"name": m.name},
        )
        await session.delete(m)


# ---- applying a macro ------------------------------------------------------------------------


async def _conversation(
    session: AsyncSession, staff: StaffPrincipal, conversation_id: str
) -> Conversation:
    conv = await repo.get_conversation(session, conversation_id, workspace_id=staff.workspace_id)
    return permissions.check_conversation(staff, conv)


async def order_number(session: AsyncSession, conv: Conversation) -> str | None:
    """The order the conversation is about: the last order number the customer wrote."""
    for msg in reversed(await repo.list_messages(session, conv.id, include_internal=False)):
        if msg.author != "customer":
            continue
        found = [e for e in extract_entities(msg.text, now=utcnow()) if e.type == "order_number"]
        if found:
            return found[-1].value
    return None


async def context_values(
    session: AsyncSession, staff: StaffPrincipal, conv: Conversation
) -> dict[str, str | None]:
    customer = await repo.get_customer(session, conv.customer_id)
    name = (customer.name or "").strip()
    return {
        "customer.name": name or None,
        "customer.first_name": name.split()[0] if name else None,
        "agent.name": staff.name,
        "order.id": await order_number(session, conv),
    }


async def render(
    rt: MacroDeps, staff: StaffPrincipal, macro_id: str, conversation_id: str
) -> dict[str, Any]:
    async with rt.sessions() as session:
        m = await get_macro(session, staff.workspace_id, macro_id)
        conv = await _conversation(session, staff, conversation_id)
        text, missing = fill(m.text, await context_values(session, staff, conv))
        return {"macro": macro_read(m), "text": text, "missing": missing}


def _event(
    session: AsyncSession,
    conv: Conversation,
    staff: StaffPrincipal,
    m: Macro,
    action: dict[str, Any],
    status: str,
    result: dict[str, Any] | None = None,
) -> None:
    repo.add_event(
        session,
        conv,
        "macro.action",
        actor="agent",
        actor_id=staff.agent_id,
        data={
            "macro_id": m.id,
            "macro": m.name,
            "action": action["type"],
            "params": {k: v for k, v in action.items() if k not in ("type", "text")},
            "status": status,
            "result": result or {},
        },
    )


async def _record(
    rt: MacroDeps,
    staff: StaffPrincipal,
    conversation_id: str,
    m: Macro,
    action: dict[str, Any],
    status: str,
    result: dict[str, Any] | None = None,
) -> None:
    async with transaction(rt.sessions) as session:
        conv = await _conversation(session, staff, conversation_id)
        _event(session, conv, staff, m, action, status, result)


async def _set_tier(
    rt: MacroDeps, staff: StaffPrincipal, cid: str, m: Macro, a: dict[str, Any]
) -> dict[str, Any]:
    async with transaction(rt.sessions) as session:
        conv = await _conversation(session, staff, cid)
        before = conv.tier
        conv.tier, conv.updated_at = int(a["tier"]), utcnow()
        result = {"from": before, "to": conv.tier}
        _event(session, conv, staff, m, a, "done", result)
    return result


async def _note(
    rt: MacroDeps, staff: StaffPrincipal, cid: str, m: Macro, a: dict[str, Any]
) -> dict[str, Any]:
    outbox = Outbox()
    async with transaction(rt.sessions) as session:
        conv = await _conversation(session, staff, cid)
        values = await context_values(session, staff, conv)
        text, _ = fill(str(a["text"]), values)
        msg = repo.add_message(
            session, conv, author="agent", text=text, internal=True, agent_id=staff.agent_id
        )
        conv.updated_at = utcnow()
        await session.flush()
        _event(session, conv, staff, m, a, "done", {"message_id": msg.id})
        read = message_read(msg, {staff.agent_id: staff.name})
        outbox.emit(MessageCreated(conv.workspace_id, conv.id, to_customer=False, message=read))
    await outbox.flush(rt)
    return {"message_id": msg.id}


async def _backend(
    rt: MacroDeps, staff: StaffPrincipal, cid: str, m: Macro, a: dict[str, Any]
) -> dict[str, Any]:
    """A consequential backend action on the conversation's order, through the same runners
    and approval limits as the AI's flows: above the limit it is held for approval."""
    action = str(a["action"])
    outbox = Outbox()
    async with transaction(rt.sessions) as session:
        conv = await _conversation(session, staff, cid)
        number = await order_number(session, conv)
        customer = await repo.get_customer(session, conv.customer_id)
        email = (customer.email or "").lower()
        backend = rt.backend_factory(session, conv.workspace_id)
        found = await backend.order(number) if number else None
        if number is None or not email or found is None or found[1].lower() != email:
            why = (
                "no order number in this conversation"
                if number is None
                else f"order {number} is not this customer's"
            )
            result = {"ok": False, "reason": why}
            _event(session, conv, staff, m, a, "failed", result)
            return result
        order = found[0]
        amount = float(order.total)
        params: dict[str, Any] = {"order_number": order.number, "email": email}
        if action == "cancel_and_refund":
            params["amount"] = amount
            summary = f"cancel order {order.number} and refund ${amount:.2f}"
        else:
            summary = f"send a replacement for order {order.number}"
        ws = await repo.get_workspace(session, conv.workspace_id)
        approvals = rt.policies.policy(ws.slug).compliance.approvals
        limits = {
            "refund_over": approvals.refund_over,
            "account_changes": approvals.account_changes,
        }
        if needs_approval(action, amount, limits):
            approval = Approval(
                id=new_id(),
                workspace_id=conv.workspace_id,
                conversation_id=conv.id,
                customer_id=conv.customer_id,
                action=action,
                params=params,
                amount=amount,
                summary=summary,
                status="pending",
                result={},
                created_at=utcnow(),
            )
            session.add(approval)
            repo.add_event(
                session,
                conv,
                "approval.requested",
                actor="agent",
                actor_id=staff.agent_id,
                data={
                    "approval_id": approval.id,
                    "action": action,
                    "amount": amount,
                    "status": "pending",
                },
            )
            text = (
                f"Your request ({summary}) has been sent for approval. "
                "We'll let you know here as soon as it's decided."
            )
            result = {"ok": True, "status": "pending", "approval_id": approval.id}
            outbox.emit(ApprovalRequested(conv.workspace_id, approval=approval_read(approval)))
        else:
            done = await execute(backend, action, params)
            text = done.say
            result = {"ok": done.ok, "status": "executed" if done.ok else "failed", **done.result}
        msg = repo.add_message(session, conv, author="system", text=text)
        conv.updated_at = utcnow()
        await session.flush()
        _event(session, conv, staff, m, a, str(result["status"]), result)
        outbox.emit(MessageCreated(conv.workspace_id, conv.id, message=message_read(msg)))
    await outbox.flush(rt)
    return result


async def _transfer(
    rt: MacroDeps, staff: StaffPrincipal, cid: str, m: Macro, a: dict[str, Any]
) -> dict[str, Any]:
    team = a.get("team")
    if team:
        async with rt.sessions() as session:
            agents = (
                (
                    await session.execute(
                        select(Agent).where(Agent.workspace_id == staff.workspace_id)
                    )
                )
                .scalars()
                .all()
            )
            if not any(team in (ag.teams or []) for ag in agents):
                raise InvalidInput(f"No team {team!r} in this workspace.")
    await ConversationHandling(rt).transfer(cid, staff, TransferRequest(skill=a.get("skill")))
    async with transaction(rt.sessions) as session:
        conv = await repo.get_conversation(session, cid, workspace_id=staff.workspace_id)
        assert conv is not None
        if team:
            conv.team = team
        result = {"team": team, "skill": conv.required_skill}
        _event(session, conv, staff, m, a, "done", result)
    return result


async def _resolve(
    rt: MacroDeps, staff: StaffPrincipal, cid: str, m: Macro, a: dict[str, Any]
) -> dict[str, Any]:
    await ConversationHandling(rt).resolve(cid, staff)
    await _record(rt, staff, cid, m, a, "done")
    return {}


async def _tag(
    rt: MacroDeps, staff: StaffPrincipal, cid: str, m: Macro, a: dict[str, Any]
) -> dict[str, Any]:
    """Add the tag (a tag the workspace no longer has fails with a clear message)."""
    async with transaction(rt.sessions) as session:
        conv = await _conversation(session, staff, cid)
        tags = await tag_conversation(session, staff, conv, str(a["tag"]), add=True)
        result = {"tag": a["tag"], "tags": tags}
        _event(session, conv, staff, m, a, "done", result)
    return result


RUNNERS = {
    "tag": _tag,
    "set_tier": _set_tier,
    "note": _note,
    "backend": _backend,
    "transfer": _transfer,
    "resolve": _resolve,
}


async def apply(
    rt: MacroDeps,
    staff: StaffPrincipal,
    macro_id: str,
    conversation_id: str,
    *,
    text: str,
    internal: bool = False,
) -> dict[str, Any]:
    """Send the (edited) reply, then run the macro's actions in order. An action that fails
    is recorded as failed and the next ones still run; the answer lists each outcome."""
    async with rt.sessions() as session:
        m = await get_macro(session, staff.workspace_id, macro_id)
        await _conversation(session, staff, conversation_id)
        session.expunge(m)
    message = None
    if text.strip():
        message = await ConversationHandling(rt).reply(
            conversation_id, staff, text, internal=internal
        )
    outcomes: list[dict[str, Any]] = []
    for action in m.actions or []:
        runner = RUNNERS.get(action["type"])
        if runner is None:  # a kind registered without a runner in this version
            outcomes.append({"type": action["type"], "status": "skipped"})
            continue
        try:
            result = await runner(rt, staff, conversation_id, m, action)
            outcomes.append({"type": action["type"], "status": "done", "result": result})
        except AppError as exc:
            log.info("macro.action_failed", macro=m.id, action=action["type"], error=exc.message)
            await _record(rt, staff, conversation_id, m, action, "failed", {"error": exc.message})
            outcomes.append({"type": action["type"], "status": "failed", "error": exc.message})
    async with transaction(rt.sessions) as session:
        audit(
            session,
            action="macro.applied",
            actor=staff,
            target_type="conversation",
            target_id=conversation_id,
            details={
                "macro_id": m.id,
                "macro": m.name,
                "actions": [{"type": o["type"], "status": o["status"]} for o in outcomes],
            },
        )
    return {"message": message, "actions": outcomes}
