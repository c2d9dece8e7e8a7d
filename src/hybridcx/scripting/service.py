"""Scripts of a workspace (the shipped defaults, replaced by name by its own), the active script
of a conversation and its progress, and the check at resolve."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.audit import record as audit
from hybridcx.auth.service import StaffPrincipal
from hybridcx.conversations import repository as repo
from hybridcx.experiments.spec import SCRIPT_KEY
from hybridcx.experiments.variants import arm_overrides, running
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import Conflict, InvalidInput, NotFound
from hybridcx.kit.ids import new_id, utcnow
from hybridcx.kit.time import iso
from hybridcx.models import (
    Conversation,
    ConversationEvent,
    ExperimentAssignment,
    Script,
    ScriptSettings,
)
from hybridcx.nlu.entities import extract_entities
from hybridcx.scripting.deps import ScriptingDeps
from hybridcx.scripting.progress import ActionRun, Line, Progress, evaluate
from hybridcx.scripting.spec import ScriptSpec, default_scripts, parse_script
from hybridcx.segments.profiles import segment_name, workspace_segments

CHECKED_EVENT = "script.checked"


class ScriptIncomplete(Conflict):
    code = "script_incomplete"


def script_read(spec: ScriptSpec, row: Script | None) -> dict[str, Any]:
    return {
        "id": row.id if row else None,
        "source": "workspace" if row else "default",
        "enabled": row.enabled if row else True,
        **spec.model_dump(exclude_none=True),
        "updated_at": iso(row.updated_at) if row else None,
    }


async def _rows(session: AsyncSession, workspace_id: str) -> list[Script]:
    stmt = select(Script).where(Script.workspace_id == workspace_id).order_by(Script.name)
    return list((await session.execute(stmt)).scalars().all())


async def enforcement(session: AsyncSession, workspace_id: str) -> str:
    row = await session.get(ScriptSettings, workspace_id)
    return row.enforcement if row else default_scripts().enforcement


async def all_scripts(
    session: AsyncSession, workspace_id: str
) -> list[tuple[ScriptSpec, Script | None]]:
    """Every script of the workspace, its own first-class, the defaults it did not replace."""
    rows = await _rows(session, workspace_id)
    own = {r.name: r for r in rows}
    out: list[tuple[ScriptSpec, Script | None]] = [
        (ScriptSpec.model_validate(r.spec), r) for r in rows
    ]
    out += [(s, None) for s in default_scripts().scripts if s.name not in own]
    return sorted(out, key=lambda p: p[0].name)


async def get_script(session: AsyncSession, workspace_id: str, script_id: str) -> Script:
    stmt = select(Script).where(Script.id == script_id, Script.workspace_id == workspace_id)
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise NotFound("No such script in this workspace.")
    return found


async def create(rt: ScriptingDeps, staff: StaffPrincipal, body: dict[str, Any]) -> dict[str, Any]:
    spec = parse_script(body.get("spec"))
    enabled = bool(body.get("enabled", True))
    try:
        async with transaction(rt.sessions) as session:
            now = utcnow()
            row = Script(
                id=new_id(),
                workspace_id=staff.workspace_id,
                name=spec.name,
                enabled=enabled,
                spec=spec.model_dump(exclude_none=True),
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            await session.flush()
            audit(
                session,
                action="script.created",
                actor=staff,
                target_type="script",
                target_id=row.id,
                details={"name": spec.name, "intents": spec.intents, "steps": len(spec.steps)},
            )
            return script_read(spec, row)
    except IntegrityError:
        raise Conflict(f"A script named {spec.name!r} already exists in this workspace.") from None


async def update(
    rt: ScriptingDeps, staff: StaffPrincipal, script_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    spec = parse_script(body.get("spec"))
    try:
        async with transaction(rt.sessions) as session:
            row = await get_script(session, staff.workspace_id, script_id)
            before = {"name": row.name, "enabled": row.enabled, "steps": len(row.spec["steps"])}
            row.name, row.spec, row.updated_at = (
                spec.name,
                spec.model_dump(exclude_none=True),
                utcnow(),
            )
            row.enabled = bool(body.get("enabled", row.enabled))
            await session.flush()
            audit(
                session,
                action="script.updated",
                actor=staff,
                target_type="script",
                target_id=row.id,
                details={
                    "before": before,
                    "after": {"name": row.name, "enabled": row.enabled, "steps": len(spec.steps)},
                },
            )
            return script_read(spec, row)
    except IntegrityError:
        raise Conflict(f"A script named {spec.name!r} already exists in this workspace.") from None


async def delete(rt: ScriptingDeps, staff: StaffPrincipal, script_id: str) -> None:
    async with transaction(rt.sessions) as session:
        row = await get_script(session, staff.workspace_id, script_id)
        audit(
            session,
            action="script.deleted",
            actor=staff,
            target_type="script",
            target_id=row.id,
            details={"name": row.name},
        )
        await session.delete(row)


async def set_enforcement(rt: ScriptingDeps, staff: StaffPrincipal, value: str) -> dict[str, Any]:
    if value not in ("block", "warn"):
        raise InvalidInput("enforcement must be 'block' or 'warn'.")
    async with transaction(rt.sessions) as session:
        row = await session.get(ScriptSettings, staff.workspace_id)
        before = row.enforcement if row else default_scripts().enforcement
        if row is None:
            row = ScriptSettings(workspace_id=staff.workspace_id, enforcement=value)
            session.add(row)
        row.enforcement, row.updated_at = value, utcnow()
        audit(
            session,
            action="script.policy_changed",
            actor=staff,
            target_type="workspace",
            target_id=staff.workspace_id,
            details={"before": before, "after": value},
        )
    return {"enforcement": value}


# ---- the active script of a conversation ------------------------------------------------


def _matches(spec: ScriptSpec, intent: str, segment: str, channel: str, rules: set[str]) -> bool:
    return (
        intent in spec.intents
        and spec.segment in (None, segment)
        and spec.channel in (None, channel)
        and (spec.compliance_rule is None or spec.compliance_rule in rules)
    )


def pick(
    scripts: Sequence[ScriptSpec],
    intents: Sequence[str],
    *,
    segment: str,
    channel: str,
    rules: set[str],
    preferred: str | None = None,
) -> tuple[ScriptSpec, str] | None:
    """The script for the latest intent that has one (so it switches when the intent changes):
    the experiment arm's script if it covers that intent, else the most specific match."""
    for intent in reversed(intents):
        found = [s for s in scripts if _matches(s, intent, segment, channel, rules)]
        if not found:
            continue
        chosen = next((s for s in found if s.name == preferred), None)
        if chosen is None:
            chosen = max(
                found,
                key=lambda s: (
                    (s.segment is not None)
                    + (s.channel is not None)
                    + (s.compliance_rule is not None)
                ),
            )
        return chosen, intent
    return None


async def _arm_script(session: AsyncSession, conv: Conversation) -> str | None:
    exps = [
        e
        for e in await running(session, conv.workspace_id)
        if any(SCRIPT_KEY in (a.get("overrides") or {}) for a in e.arms)
    ]
    if not exps:
        return None
    stmt = select(ExperimentAssignment.experiment_id, ExperimentAssignment.arm).where(
        ExperimentAssignment.conversation_id == conv.id,
        ExperimentAssignment.experiment_id.in_([e.id for e in exps]),
    )
    arms = dict((await session.execute(stmt)).all())
    for e in exps:
        if e.id in arms:
            name = arm_overrides(e, arms[e.id]).get(SCRIPT_KEY)
            if name:
                return str(name)
    return None


def _actions(events: Sequence[ConversationEvent]) -> list[ActionRun]:
    out = []
    for e in events:
        data = e.data or {}
        if e.type == "macro.action" and data.get("action") == "backend":
            name = (data.get("params") or {}).get("action")
            held = (data.get("result") or {}).get("status") == "pending"
            status = "pending" if held else str(data.get("status") or "done")
            if name:
                out.append(ActionRun(str(name), "failed" if status == "failed" else status))
        elif e.type in ("action.requested", "approval.requested") and data.get("action"):
            raw = "pending" if e.type == "approval.requested" else str(data.get("status") or "")
            status = {"pending": "pending", "failed": "failed", "refused": "failed"}.get(
                raw, "done"
            )
            out.append(ActionRun(str(data["action"]), status))
    return out


async def conversation_progress(
    rt: ScriptingDeps, session: AsyncSession, conv: Conversation, agent_name: str
) -> tuple[Progress | None, dict[str, Any]]:
    """The active script's progress (None: no script for this conversation's intents)."""
    events = await repo.list_events(session, conv.id)
    intents = [
        str(e.data["intent"])
        for e in events
        if e.type == "routing.decided" and (e.data or {}).get("intent")
    ]
    topic = (conv.ai_state or {}).get("topic")
    if topic and topic not in intents:
        intents.insert(0, str(topic))
    rules = {
        str(r.get("name"))
        for e in events
        if e.type == "compliance.recorded"
        for r in (e.data or {}).get("rules", [])
    }
    customer = await repo.get_customer(session, conv.customer_id)
    slug = await repo.workspace_slug(session, conv.workspace_id)
    segment = segment_name(workspace_segments(rt.policies.policy_dir, slug), customer)
    scripts = [
        s for s, row in await all_scripts(session, conv.workspace_id) if not row or row.enabled
    ]
    preferred = await _arm_script(session, conv)
    context = {"intent": intents[-1] if intents else None, "segment": segment}
    chosen = pick(
        scripts, intents, segment=segment, channel=conv.channel, rules=rules, preferred=preferred
    )
    if chosen is None:
        return None, context
    spec, intent = chosen
    context["intent"] = intent
    messages = await repo.list_messages(session, conv.id, include_internal=True)
    lines = [Line(m.author, m.text, bool(getattr(m, "internal", False))) for m in messages]
    now = utcnow()
    return evaluate(
        spec, lines, _actions(events), _values(customer, agent_name, lines, now), now=now
    ), context


def _values(
    customer: Any, agent_name: str, lines: Sequence[Line], now: Any
) -> dict[str, str | None]:
    """The macro placeholders (macros/placeholders.py), from what is loaded already."""
    name = (getattr(customer, "name", "") or "").strip()
    order = None
    for ln in lines:
        if ln.author == "customer":
            found = [e for e in extract_entities(ln.text, now=now) if e.type == "order_number"]
            if found:
                order = found[-1].value
    return {
        "customer.name": name or None,
        "customer.first_name": name.split()[0] if name else None,
        "agent.name": agent_name,
        "order.id": order,
    }


async def read_for(
    rt: ScriptingDeps, staff: StaffPrincipal, conversation_id: str
) -> dict[str, Any]:
    async with rt.sessions() as session:
        conv = await repo.get_conversation(
            session, conversation_id, workspace_id=staff.workspace_id
        )
        if conv is None:
            raise NotFound("No such conversation in this workspace.")
        progress, context = await conversation_progress(rt, session, conv, staff.name)
        return {
            "conversation_id": conv.id,
            **context,
            "enforcement": await enforcement(session, conv.workspace_id),
            "script": progress.to_dict() if progress else None,
        }


async def check_at_resolve(
    rt: ScriptingDeps, session: AsyncSession, conv: Conversation, staff: StaffPrincipal
) -> None:
    """Before a conversation is resolved: the script's required steps. Blocked (409 naming
    them) or warned, per the workspace's policy; a ``script.checked`` event either way (the
    compliance record and the adherence scores read it)."""
    progress, context = await conversation_progress(rt, session, conv, staff.name)
    if progress is None:
        return
    policy = await enforcement(session, conv.workspace_id)
    missing = progress.missing_required
    if missing and policy == "block":
        names = "; ".join(f"{s.step.id} ({s.step.kind}: {s.text[:80]})" for s in missing)
        raise ScriptIncomplete(f"Required script steps not done: {names}")
    repo.add_event(
        session,
        conv,
        CHECKED_EVENT,
        actor="agent",
        actor_id=staff.agent_id,
        data={
            "script": progress.script.name,
            "intent": context["intent"],
            "segment": context["segment"],
            "agent_id": conv.assigned_agent_id,
            "adherence": round(progress.adherence, 3),
            "done": [s.step.id for s in progress.steps if s.status == "done"],
            "missing": [s.step.id for s in missing],
            "enforcement": policy,
        },
    )
