"""``/api/v1/macros``: a workspace's macros. Supervisors and admins write them (audited);
everyone who handles conversations lists, renders and applies them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import ConversationHandler, ConversationSupervisor
from hybridcx.macros import automation, service
from hybridcx.macros.actions import MACRO_ACTIONS, RULE_ACTIONS
from hybridcx.macros.placeholders import PLACEHOLDERS

router = APIRouter(tags=["macros"])
MACROS = "/api/v1/macros"
RULES = "/api/v1/automation/rules"


class MacroWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    text: str = Field(
        default="",
        max_length=4000,
        description="The reply, with placeholders: "
        + ", ".join("{{" + k + "}}" for k in PLACEHOLDERS),
    )
    actions: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Run in order when the reply is sent: " + ", ".join(MACRO_ACTIONS) + ".",
    )


class MacroRead(BaseModel):
    id: str
    name: str
    text: str
    actions: list[dict[str, Any]]
    placeholders: list[str]
    created_at: str | None
    updated_at: str | None


class MacroList(BaseModel):
    items: list[MacroRead]
    placeholders: dict[str, str]
    action_types: dict[str, str]


class Rendered(BaseModel):
    macro: MacroRead
    text: str = Field(description="The reply with the conversation's values filled in.")
    missing: list[str] = Field(description="Placeholders left as written: no value known.")


class ApplyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_id: str = Field(max_length=36)
    text: str = Field(default="", max_length=4000, description="The reply as the agent sends it.")
    internal: bool = False


class ApplyResult(BaseModel):
    message: dict[str, Any] | None
    actions: list[dict[str, Any]]


@router.get(MACROS, response_model=MacroList)
async def list_macros(staff: ConversationHandler, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.sessions() as session:
        rows = await service.list_macros(session, staff.workspace_id)
    return {
        "items": [service.macro_read(m) for m in rows],
        "placeholders": PLACEHOLDERS,
        "action_types": {k: v.description for k, v in MACRO_ACTIONS.items()},
    }


@router.post(MACROS, response_model=MacroRead, status_code=201)
async def create_macro(
    body: MacroWrite, staff: ConversationSupervisor, runtime: RuntimeDep
) -> dict[str, Any]:
    return await service.create(
        runtime, staff, name=body.name, text=body.text, actions=body.actions
    )


@router.get(MACROS + "/{macro_id}", response_model=MacroRead)
async def get_macro(
    macro_id: str, staff: ConversationHandler, runtime: RuntimeDep
) -> dict[str, Any]:
    async with runtime.sessions() as session:
        return service.macro_read(await service.get_macro(session, staff.workspace_id, macro_id))


@router.put(MACROS + "/{macro_id}", response_model=MacroRead)
async def update_macro(
    macro_id: str, body: MacroWrite, staff: ConversationSupervisor, runtime: RuntimeDep
) -> dict[str, Any]:
    return await service.update(
        runtime, staff, macro_id, name=body.name, text=body.text, actions=body.actions
    )


@router.delete(MACROS + "/{macro_id}", status_code=204)
async def delete_macro(
    macro_id: str, staff: ConversationSupervisor, runtime: RuntimeDep
) -> Response:
    await service.delete(runtime, staff, macro_id)
    return Response(status_code=204)


@router.get(MACROS + "/{macro_id}/render", response_model=Rendered)
async def render_macro(
    macro_id: str, conversation_id: str, staff: ConversationHandler, runtime: RuntimeDep
) -> dict[str, Any]:
    """The reply for one conversation, to fill the desk's reply box (the agent may edit it)."""
    return await service.render(runtime, staff, macro_id, conversation_id)


@router.post(MACROS + "/{macro_id}/apply", response_model=ApplyResult)
async def apply_macro(
    macro_id: str, body: ApplyRequest, staff: ConversationHandler, runtime: RuntimeDep
) -> dict[str, Any]:
    """Send the reply (as edited) and run the macro's actions, each recorded as an event."""
    return await service.apply(
        runtime, staff, macro_id, body.conversation_id, text=body.text, internal=body.internal
    )


# ---- automation rules ------------------------------------------------------------------------


class RuleWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    enabled: bool = True
    trigger: str = Field(max_length=40, description="One of " + ", ".join(automation.TRIGGERS))
    minutes: int | None = Field(default=None, description="For no_agent_reply: how long.")
    conditions: dict[str, Any] = Field(
        default_factory=dict,
        description="All must hold: " + ", ".join(automation.CONDITIONS) + ".",
    )
    actions: list[dict[str, Any]] = Field(
        description="Run in order: " + ", ".join(RULE_ACTIONS) + "."
    )


class RuleRead(BaseModel):
    id: str
    name: str
    enabled: bool
    trigger: str
    minutes: int | None
    conditions: dict[str, Any]
    actions: list[dict[str, Any]]
    created_at: str | None
    updated_at: str | None


class RuleList(BaseModel):
    items: list[RuleRead]
    triggers: list[str]
    conditions: list[str]
    action_types: dict[str, str]


@router.get(RULES, response_model=RuleList)
async def list_rules(staff: ConversationSupervisor, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.sessions() as session:
        rows = await automation.list_rules(session, staff.workspace_id)
    return {
        "items": [automation.rule_read(r) for r in rows],
        "triggers": list(automation.TRIGGERS),
        "conditions": list(automation.CONDITIONS),
        "action_types": {k: v.description for k, v in RULE_ACTIONS.items()},
    }


@router.post(RULES, response_model=RuleRead, status_code=201)
async def create_rule(
    body: RuleWrite, staff: ConversationSupervisor, runtime: RuntimeDep
) -> dict[str, Any]:
    return await automation.save_rule(runtime, staff, body.model_dump())


@router.get(RULES + "/{rule_id}", response_model=RuleRead)
async def get_rule(
    rule_id: str, staff: ConversationSupervisor, runtime: RuntimeDep
) -> dict[str, Any]:
    async with runtime.sessions() as session:
        return automation.rule_read(await automation.get_rule(session, staff.workspace_id, rule_id))


@router.put(RULES + "/{rule_id}", response_model=RuleRead)
async def update_rule(
    rule_id: str, body: RuleWrite, staff: ConversationSupervisor, runtime: RuntimeDep
) -> dict[str, Any]:
    return await automation.save_rule(runtime, staff, body.model_dump(), rule_id)


@router.delete(RULES + "/{rule_id}", status_code=204)
async def delete_rule(rule_id: str, staff: ConversationSupervisor, runtime: RuntimeDep) -> Response:
    await automation.delete_rule(runtime, staff, rule_id)
    return Response(status_code=204)
