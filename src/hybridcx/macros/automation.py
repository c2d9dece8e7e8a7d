"""Automation rules: "when a conversation is queued and the customer is a VIP,
assign it to team premium"; "when no agent has replied for 10 minutes, notify the supervisors".

The engine reads the conversation event log and the messages table from a stored cursor (as the
webhook worker does), so it needs no hook in the conversation service, sees what any server
process committed, and loses nothing over a restart. Each firing first inserts an
``AutomationFiring`` row whose unique key (rule, conversation, occasion) makes it happen once,
whichever process gets there first; the actions and a ``automation.fired`` event (the
conversation's timeline) commit in the same transaction.

Loops: a rule's own actions write only ``automation.*`` events, an internal system note or the
conversation's fields, none of which is a trigger; and an event that carries a ``rule_id`` never
fires that rule again.

Triggers: ``conversation.queued``, ``message.created`` (a customer's message),
``conversation.assigned``, ``conversation.resolved``, and ``no_agent_reply`` with ``minutes``
(the background sweep: a customer message in a queued or assigned conversation with no public
agent reply after it for that long; once per such message).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import and_, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.audit import record as audit
from hybridcx.auth.service import StaffPrincipal
from hybridcx.conversations import repository as repo
from hybridcx.conversations.schemas import message_read
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import Conflict, InvalidInput, NotFound
from hybridcx.kit.events import AutomationFired, AutomationNotify, MessageCreated
from hybridcx.kit.ids import new_id, utcnow
from hybridcx.kit.outbox import Outbox
from hybridcx.kit.tasks import reraise_if_cancelled
from hybridcx.kit.time import iso
from hybridcx.macros.actions import RULE_ACTIONS, check_actions
from hybridcx.macros.deps import MacroDeps
from hybridcx.models import (
    AutomationCursor,
    AutomationFiring,
    AutomationRule,
    Conversation,
    ConversationEvent,
    ConversationTag,
    Customer,
    Message,
)
from hybridcx.queue.service import dispatch, rank

log = structlog.get_logger(__name__)

EVENT_TRIGGERS = ("conversation.queued", "conversation.assigned", "conversation.resolved")
TRIGGERS = (*EVENT_TRIGGERS, "message.created", "no_agent_reply")
BATCH = 500
CURSOR = "rules"
PRIORITY_BOOST = 1000.0  # set_priority high/low: ahead of (behind) every ordinary rank


# ---- conditions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """One condition: ``kind`` says how a stored value is checked and matched."""

    name: str
    kind: type  # bool: equals; str or int: one of a list
    fact: Callable[[Conversation, Customer], Any]
    choices: tuple[Any, ...] | None = None
    #: A fact that needs a query (tags): loaded by ``load_facts`` before ``matches``; a list
    #: fact matches when any of its values is among the wanted ones.
    load: Callable[[AsyncSession, Conversation], Awaitable[Any]] | None = None


CONDITIONS: dict[str, Condition] = {}


def register_condition(cond: Condition) -> Condition:
    """Extension point: one registration per condition (``tag`` loads its fact by a query)."""
    CONDITIONS[cond.name] = cond
    return cond


async def _conversation_tags(session: AsyncSession, conv: Conversation) -> list[str]:
    stmt = select(ConversationTag.tag).where(
        ConversationTag.conversation_id == conv.id,
        ConversationTag.workspace_id == conv.workspace_id,
    )
    return list((await session.execute(stmt)).scalars().all())


async def load_facts(
    session: AsyncSession, conditions: dict[str, Any], conv: Conversation
) -> dict[str, Any]:
    """The facts the rule's conditions need from the database (only those it names)."""
    facts: dict[str, Any] = {}
    for name in conditions:
        cond = CONDITIONS.get(name)
        if cond is not None and cond.load is not None:
            facts[name] = await cond.load(session, conv)
    return facts


for _cond in (
    Condition("tier", int, lambda c, _: c.tier, (1, 2, 3)),
    Condition("channel", str, lambda c, _: c.channel),
    Condition("vip", bool, lambda _, cu: bool(cu.vip)),
    Condition(
        "intent",
        str,
        lambda c, _: (c.ai_state or {}).get("topic") or (c.routing or {}).get("intent"),
    ),
    Condition("language", str, lambda _, cu: (cu.attributes or {}).get("language")),
    Condition("status", str, lambda c, _: c.status, ("bot", "queued", "assigned", "resolved")),
    # Any of the conversation's tags among the wanted ones (``load_facts`` queries them).
    Condition("tag", str, lambda _c, _cu: [], load=_conversation_tags),
):
    register_condition(_cond)


def check_conditions(raw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in raw.items():
        cond = CONDITIONS.get(name)
        if cond is None:
            raise InvalidInput(
                f"conditions: unknown condition {name!r}; the conditions are "
                f"{', '.join(CONDITIONS)}."
            )
        if cond.kind is bool:
            if not isinstance(value, bool):
                raise InvalidInput(f"conditions.{name} must be true or false.")
            out[name] = value
            continue
        values = value if isinstance(value, list) else [value]
        if not values:
            raise InvalidInput(f"conditions.{name} needs at least one value.")
        for v in values:
            if cond.kind is int and (isinstance(v, bool) or not isinstance(v, int)):
                raise InvalidInput(f"conditions.{name} takes numbers.")
            if cond.kind is str and (not isinstance(v, str) or not v or len(v) > 64):
                raise InvalidInput(f"conditions.{name} takes short text values.")
            if cond.choices is not None and v not in cond.choices:
                raise InvalidInput(
                    f"conditions.{name} must be among {', '.join(str(c) for c in cond.choices)}."
                )
        out[name] = values
    return out


def matches(
    conditions: dict[str, Any],
    conv: Conversation,
    customer: Customer,
    loaded: dict[str, Any] | None = None,
) -> bool:
    for name, wanted in conditions.items():
        cond = CONDITIONS.get(name)
        if cond is None:
            return False  # a condition this version does not know never matches
        known = loaded or {}
        fact = known[name] if name in known else cond.fact(conv, customer)
        if cond.kind is bool:
            if bool(fact) != wanted:
                return False
        elif isinstance(fact, list):
            if not any(f in wanted for f in fact):
                return False
        elif fact not in wanted:
            return False
    return True


def clean_rule(body: dict[str, Any]) -> dict[str, Any]:
    name = str(body.get("name") or "").strip()
    if not name:
        raise InvalidInput("A rule needs a name.")
    trigger = body.get("trigger")
    if trigger not in TRIGGERS:
        raise InvalidInput(f"trigger must be one of {', '.join(TRIGGERS)}.")
    minutes = body.get("minutes")
    if trigger == "no_agent_reply":
        if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 10080:
            raise InvalidInput("A no_agent_reply rule needs minutes between 1 and 10080.")
    elif minutes is not None:
        raise InvalidInput("minutes applies only to the no_agent_reply trigger.")
    actions = check_actions(RULE_ACTIONS, body.get("actions") or [], max_text=500)
    if not actions:
        raise InvalidInput("A rule needs at least one action.")
    return {
        "name": name,
        "trigger": trigger,
        "minutes": minutes,
        "conditions": check_conditions(dict(body.get("conditions") or {})),
        "actions": actions,
        "enabled": bool(body.get("enabled", True)),
    }


def rule_read(r: AutomationRule) -> dict[str, Any]:
    return {
        "id": r.id,
        "name": r.name,
        "enabled": r.enabled,
        "trigger": r.trigger,
        "minutes": r.minutes,
        "conditions": dict(r.conditions or {}),
        "actions": list(r.actions or []),
        "created_at": iso(r.created_at),
        "updated_at": iso(r.updated_at),
    }


# ---- firing ----------------------------------------------------------------------------------


async def _run_action(
    rt: MacroDeps,
    session: AsyncSession,
    outbox: Outbox,
    rule: AutomationRule,
    conv: Conversation,
    customer: Customer,
    action: dict[str, Any],
) -> dict[str, Any]:
    kind = action["type"]
    if kind == "assign_team":
        team_before = conv.team
        conv.team = str(action["team"])
        return {"type": kind, "status": "done", "from": team_before, "to": conv.team}
    if kind == "set_tier":
        before = conv.tier
        conv.tier = int(action["tier"])
        if conv.status == "queued":
            slug = await repo.workspace_slug(session, conv.workspace_id)
            rank(conv, vip=bool(customer.vip), weights=rt.policies.policy(slug).queue)
        return {"type": kind, "status": "done", "from": before, "to": conv.tier}
    if kind == "set_priority":
        if conv.status != "queued":
            return {"type": kind, "status": "skipped", "reason": "not in the queue"}
        slug = await repo.workspace_slug(session, conv.workspace_id)
        rank(conv, vip=bool(customer.vip), weights=rt.policies.policy(slug).queue)
        shift = {"high": PRIORITY_BOOST, "low": -PRIORITY_BOOST}.get(action["priority"], 0.0)
        conv.queue_rank = (conv.queue_rank or 0.0) + shift
        return {"type": kind, "status": "done", "priority": action["priority"]}
    if kind == "notify":
        outbox.emit(
            AutomationNotify(
                conv.workspace_id,
                rule={"id": rule.id, "name": rule.name},
                conversation_id=conv.id,
                text=action["text"],
            )
        )
        return {"type": kind, "status": "done"}
    if kind == "webhook":
        # The webhook worker delivers from the event log: this event becomes automation.fired.
        repo.add_event(
            session,
            conv,
            "automation.webhook",
            actor="system",
            data={"rule_id": rule.id, "rule": rule.name, "trigger": rule.trigger},
        )
        return {"type": kind, "status": "done"}
    if kind == "note":
        msg = repo.add_message(session, conv, author="system", text=action["text"], internal=True)
        await session.flush()
        read = message_read(msg)
        outbox.emit(MessageCreated(conv.workspace_id, conv.id, to_customer=False, message=read))
        return {"type": kind, "status": "done"}
    return {"type": kind, "status": "skipped", "reason": "no runner for this action"}


async def fire(
    rt: MacroDeps, rule: AutomationRule, conversation_id: str, occasion: str, trigger: str
) -> bool:
    """Run ``rule`` on the conversation for ``occasion``, once. False when it did not fire (it
    already had, the conversation is gone, or the conditions no longer hold)."""
    outbox = Outbox()
    try:
        async with transaction(rt.sessions) as session:
            conv = await repo.get_conversation(
                session, conversation_id, workspace_id=rule.workspace_id
            )
            if conv is None:
                return False
            customer = await repo.get_customer(session, conv.customer_id)
            loaded = await load_facts(session, rule.conditions or {}, conv)
            if not matches(rule.conditions or {}, conv, customer, loaded):
                return False
            session.add(
                AutomationFiring(
                    id=new_id(),
                    workspace_id=rule.workspace_id,
                    rule_id=rule.id,
                    conversation_id=conv.id,
                    occasion=occasion[:80],
                    created_at=utcnow(),
                )
            )
            await session.flush()  # the unique key: a second firing stops here
            results = [
                await _run_action(rt, session, outbox, rule, conv, customer, a)
                for a in rule.actions or []
            ]
            conv.updated_at = utcnow()
            repo.add_event(
                session,
                conv,
                "automation.fired",
                actor="system",
                data={
                    "rule_id": rule.id,
                    "rule": rule.name,
                    "trigger": trigger,
                    "occasion": occasion,
                    "actions": results,
                },
            )
            outbox.emit(
                AutomationFired(
                    conv.workspace_id,
                    conversation_id=conv.id,
                    rule={"id": rule.id, "name": rule.name},
                )
            )
    except IntegrityError:
        return False
    await outbox.flush(rt)
    log.info("automation.fired", rule=rule.id, conversation_id=conversation_id, occasion=occasion)
    return True


async def _rules(
    session: AsyncSession, cache: dict[tuple[str, str], list[AutomationRule]], ws: str, trigger: str
) -> list[AutomationRule]:
    key = (ws, trigger)
    if key not in cache:
        stmt = select(AutomationRule).where(
            AutomationRule.workspace_id == ws,
            AutomationRule.trigger == trigger,
            AutomationRule.enabled.is_(True),
        )
        rows = list((await session.execute(stmt)).scalars().all())
        for r in rows:
            session.expunge(r)
        cache[key] = rows
    return cache[key]


async def process_new(rt: MacroDeps) -> int:
    """Evaluate the rules on the events and customer messages committed since the cursor.
    Returns how many rules fired."""
    fired = 0
    jobs: list[tuple[AutomationRule, str, str, str]] = []
    async with transaction(rt.sessions) as session:
        cursor = await session.get(AutomationCursor, CURSOR)
        if cursor is None:
            cursor = AutomationCursor(name=CURSOR, event_seq=0, message_seq=0)
            session.add(cursor)
            await session.flush()
        if not (await session.execute(select(func.count()).select_from(AutomationRule))).scalar():
            # No rules anywhere: only move the cursor on (a new rule applies from its creation).
            top_e = (await session.execute(select(func.max(ConversationEvent.seq)))).scalar()
            top_m = (await session.execute(select(func.max(Message.seq)))).scalar()
            cursor.event_seq, cursor.message_seq = top_e or 0, top_m or 0
            return 0
        cache: dict[tuple[str, str], list[AutomationRule]] = {}
        events = (
            (
                await session.execute(
                    select(ConversationEvent)
                    .where(ConversationEvent.seq > cursor.event_seq)
                    .order_by(ConversationEvent.seq)
                    .limit(BATCH)
                )
            )
            .scalars()
            .all()
        )
        for e in events:
            cursor.event_seq = e.seq
            if e.type not in EVENT_TRIGGERS:
                continue
            for rule in await _rules(session, cache, e.workspace_id, e.type):
                if (e.data or {}).get("rule_id") == rule.id or e.created_at < rule.created_at:
                    continue  # its own doing, or before the rule existed
                jobs.append((rule, e.conversation_id, f"event:{e.seq}", e.type))
        messages = (
            await session.execute(
                select(
                    Message.seq, Message.conversation_id, Message.workspace_id, Message.created_at
                )
                .where(Message.seq > cursor.message_seq)
                .where(Message.author == "customer")
                .order_by(Message.seq)
                .limit(BATCH)
            )
        ).all()
        for seq, conv_id, ws, created in messages:
            cursor.message_seq = seq
            for rule in await _rules(session, cache, ws, "message.created"):
                if created >= rule.created_at:
                    jobs.append((rule, conv_id, f"message:{seq}", "message.created"))
    # The cursor is committed before the firings run: the firing rows, not the cursor, make
    # each happen once, and a failure in one firing must not replay the others.
    for rule, conv_id, occasion, trigger in jobs:
        try:
            fired += await fire(rt, rule, conv_id, occasion, trigger)
        except Exception as exc:
            reraise_if_cancelled(exc)
            log.warning("automation.fire_failed", rule=rule.id, error=str(exc))
    return fired


async def sweep_no_reply(rt: MacroDeps, now: datetime | None = None) -> int:
    """Fire the ``no_agent_reply`` rules: a customer's message in a queued or assigned
    conversation with no public agent reply after it for the rule's minutes (once per such
    message)."""
    now = now or utcnow()
    fired = 0
    async with rt.sessions() as session:
        rules = list(
            (
                await session.execute(
                    select(AutomationRule).where(
                        AutomationRule.trigger == "no_agent_reply",
                        AutomationRule.enabled.is_(True),
                    )
                )
            )
            .scalars()
            .all()
        )
        due: list[tuple[AutomationRule, str, int]] = []
        for rule in rules:
            session.expunge(rule)
            last_customer = (
                select(
                    Message.conversation_id.label("cid"),
                    func.max(Message.seq).label("cseq"),
                )
                .where(Message.author == "customer", Message.workspace_id == rule.workspace_id)
                .group_by(Message.conversation_id)
                .subquery()
            )
            last_agent = (
                select(
                    Message.conversation_id.label("cid"),
                    func.max(Message.seq).label("aseq"),
                )
                .where(
                    Message.author == "agent",
                    Message.internal.is_(False),
                    Message.workspace_id == rule.workspace_id,
                )
                .group_by(Message.conversation_id)
                .subquery()
            )
            cutoff = now - timedelta(minutes=int(rule.minutes or 0))
            stmt = (
                select(Conversation.id, last_customer.c.cseq)
                .join(last_customer, last_customer.c.cid == Conversation.id)
                .join(Message, Message.seq == last_customer.c.cseq)
                .outerjoin(last_agent, last_agent.c.cid == Conversation.id)
                .where(
                    Conversation.workspace_id == rule.workspace_id,
                    Conversation.status.in_(("queued", "assigned")),
                    Message.created_at <= cutoff,
                    Message.created_at >= rule.created_at,
                    and_(
                        (last_agent.c.aseq.is_(None)) | (last_agent.c.aseq < last_customer.c.cseq)
                    ),
                )
                .limit(BATCH)
            )
            for conv_id, cseq in (await session.execute(stmt)).all():
                due.append((rule, conv_id, cseq))
    for rule, conv_id, cseq in due:
        try:
            fired += await fire(rt, rule, conv_id, f"noreply:{cseq}", "no_agent_reply")
        except Exception as exc:
            reraise_if_cancelled(exc)
            log.warning("automation.fire_failed", rule=rule.id, error=str(exc))
    return fired


async def run_once(rt: MacroDeps, now: datetime | None = None) -> int:
    fired = await process_new(rt)
    fired += await sweep_no_reply(rt, now)
    if fired:
        for ws in await _workspaces_with_rules(rt):
            await dispatch(rt, ws)  # a team or a tier may have changed who can take them
    return fired


async def _workspaces_with_rules(rt: MacroDeps) -> list[str]:
    async with rt.sessions() as session:
        stmt = select(AutomationRule.workspace_id).distinct()
        return list((await session.execute(stmt)).scalars().all())


async def automation_loop(rt: MacroDeps, interval_seconds: float) -> None:
    """Every ``interval_seconds``, evaluate the rules (the server runs this)."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            await run_once(rt)
        except Exception as exc:  # never let automation take the server down
            reraise_if_cancelled(exc)
            log.warning("automation.run_failed", error=str(exc))


# ---- the rules, written by supervisors (audited) ----------------------------------------------


async def list_rules(session: AsyncSession, workspace_id: str) -> list[AutomationRule]:
    stmt = (
        select(AutomationRule)
        .where(AutomationRule.workspace_id == workspace_id)
        .order_by(AutomationRule.name)
    )
    return list((await session.execute(stmt)).scalars().all())


async def get_rule(session: AsyncSession, workspace_id: str, rule_id: str) -> AutomationRule:
    stmt = select(AutomationRule).where(
        AutomationRule.id == rule_id, AutomationRule.workspace_id == workspace_id
    )
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise NotFound("No such rule in this workspace.")
    return found


async def save_rule(
    rt: MacroDeps, staff: StaffPrincipal, body: dict[str, Any], rule_id: str | None = None
) -> dict[str, Any]:
    values = clean_rule(body)
    try:
        async with transaction(rt.sessions) as session:
            now = utcnow()
            if rule_id is None:
                rule = AutomationRule(
                    id=new_id(), workspace_id=staff.workspace_id, created_at=now, **values
                )
                session.add(rule)
                action = "automation.rule_created"
            else:
                rule = await get_rule(session, staff.workspace_id, rule_id)
                for key, value in values.items():
                    setattr(rule, key, value)
                action = "automation.rule_updated"
            rule.updated_at = now
            await session.flush()
            audit(
                session,
                action=action,
                actor=staff,
                target_type="automation_rule",
                target_id=rule.id,
                details={
                    "name": rule.name,
                    "trigger": rule.trigger,
                    "enabled": rule.enabled,
                    "actions": [a["type"] for a in values["actions"]],
                },
            )
            return rule_read(rule)
    except IntegrityError:
        raise Conflict(f"A rule named {values['name']!r} already exists.") from None


async def delete_rule(rt: MacroDeps, staff: StaffPrincipal, rule_id: str) -> None:
    async with transaction(rt.sessions) as session:
        rule = await get_rule(session, staff.workspace_id, rule_id)
        audit(
            session,
            action="automation.rule_deleted",
            actor=staff,
            target_type="automation_rule",
            target_id=rule.id,
            details={"name": rule.name},
        )
        await session.execute(delete(AutomationFiring).where(AutomationFiring.rule_id == rule.id))
        await session.delete(rule)
