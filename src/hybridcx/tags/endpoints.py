"""Tags and custom fields over HTTP. Supervisors manage the workspace's tag names and
field definitions; agents add and remove tags and set field values on what they can see."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from hybridcx.auth import permissions
from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import (
    ConversationHandler,
    ConversationReader,
    ConversationSupervisor,
    CustomerReader,
)
from hybridcx.auth.service import StaffPrincipal
from hybridcx.conversations import repository as conv_repo
from hybridcx.kit.db import transaction
from hybridcx.models import Conversation
from hybridcx.tags import service
from hybridcx.tags.schemas import (
    FieldDefinitionList,
    FieldDefinitionRead,
    FieldValueList,
    TagList,
    TagRead,
    TagsRead,
)

router = APIRouter(prefix="/api/v1", tags=["tags"])
TagPath = Annotated[str, Path(max_length=60)]


class TagCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=50)
    description: str = Field(default="", max_length=200)


class FieldCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    entity: Literal["conversation", "customer"]
    key: str = Field(min_length=1, max_length=50)
    label: str = Field(default="", max_length=100)
    type: Literal["text", "number", "boolean", "date", "select"]
    options: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list, max_length=50
    )


class FieldValues(BaseModel):
    model_config = ConfigDict(extra="forbid")
    values: dict[str, Any] = Field(
        max_length=50, description="Field key -> value (null clears the field)."
    )


# ---- the workspace's tags and field definitions ---------------------------------------------


@router.get("/tags", summary="The workspace's tags", response_model=TagList)
async def list_tags(staff: ConversationReader, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.sessions() as session:
        return {"items": await service.list_tags(session, staff.workspace_id)}


@router.post(
    "/tags",
    status_code=201,
    summary="Add a tag to the workspace (supervisors)",
    response_model=TagRead,
)
async def create_tag(
    body: TagCreate, staff: ConversationSupervisor, runtime: RuntimeDep
) -> dict[str, Any]:
    async with transaction(runtime.sessions) as session:
        return await service.create_tag(session, staff, body.name, body.description)


@router.delete("/tags/{name}", status_code=204, summary="Remove a tag everywhere (supervisors)")
async def delete_tag(name: TagPath, staff: ConversationSupervisor, runtime: RuntimeDep) -> Response:
    async with transaction(runtime.sessions) as session:
        await service.delete_tag(session, staff, name)
    return Response(status_code=204)


@router.get(
    "/custom-fields",
    summary="The workspace's custom field definitions",
    response_model=FieldDefinitionList,
)
async def list_fields(staff: ConversationReader, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.sessions() as session:
        defs = await service.definitions(session, staff.workspace_id)
        return {"items": [service.definition_read(d) for d in defs]}


@router.post(
    "/custom-fields",
    status_code=201,
    summary="Define a custom field (supervisors)",
    response_model=FieldDefinitionRead,
)
async def create_field(
    body: FieldCreate, staff: ConversationSupervisor, runtime: RuntimeDep
) -> dict[str, Any]:
    async with transaction(runtime.sessions) as session:
        return await service.create_definition(
            session,
            staff,
            entity=body.entity,
            key=body.key,
            label=body.label,
            type_=body.type,
            options=body.options,
        )


@router.delete("/custom-fields/{entity}/{key}", status_code=204)
async def delete_field(
    entity: Literal["conversation", "customer"],
    key: Annotated[str, Path(max_length=60)],
    staff: ConversationSupervisor,
    runtime: RuntimeDep,
) -> Response:
    """Remove a field definition and every value of it (supervisors)."""
    async with transaction(runtime.sessions) as session:
        await service.delete_definition(session, staff, entity, key)
    return Response(status_code=204)


# ---- on a conversation ----------------------------------------------------------------------


async def _conversation(session: Any, staff: StaffPrincipal, conversation_id: str) -> Conversation:
    conv = await conv_repo.get_conversation(
        session, conversation_id, workspace_id=staff.workspace_id
    )
    return permissions.check_conversation(staff, conv)


@router.get("/conversations/{conversation_id}/tags", response_model=TagsRead)
async def read_conversation_tags(
    conversation_id: str, staff: ConversationReader, runtime: RuntimeDep
) -> dict[str, Any]:
    async with runtime.sessions() as session:
        conv = await _conversation(session, staff, conversation_id)
        return {"tags": await service.conversation_tags(session, conv.id)}


@router.put("/conversations/{conversation_id}/tags/{tag}", response_model=TagsRead)
async def add_conversation_tag(
    conversation_id: str, tag: TagPath, staff: ConversationHandler, runtime: RuntimeDep
) -> dict[str, Any]:
    """Tag a conversation with one of the workspace's tags (idempotent)."""
    async with transaction(runtime.sessions) as session:
        conv = await _conversation(session, staff, conversation_id)
        return {"tags": await service.tag_conversation(session, staff, conv, tag, add=True)}


@router.delete("/conversations/{conversation_id}/tags/{tag}", response_model=TagsRead)
async def remove_conversation_tag(
    conversation_id: str, tag: TagPath, staff: ConversationHandler, runtime: RuntimeDep
) -> dict[str, Any]:
    async with transaction(runtime.sessions) as session:
        conv = await _conversation(session, staff, conversation_id)
        return {"tags": await service.tag_conversation(session, staff, conv, tag, add=False)}


@router.get("/conversations/{conversation_id}/fields", response_model=FieldValueList)
async def read_conversation_fields(
    conversation_id: str, staff: ConversationReader, runtime: RuntimeDep
) -> dict[str, Any]:
    async with runtime.sessions() as session:
        conv = await _conversation(session, staff, conversation_id)
        items = await service.field_values(session, conv.workspace_id, conversation_id=conv.id)
        return {"items": items}


@router.patch("/conversations/{conversation_id}/fields", response_model=FieldValueList)
async def set_conversation_fields(
    conversation_id: str, body: FieldValues, staff: ConversationHandler, runtime: RuntimeDep
) -> dict[str, Any]:
    async with transaction(runtime.sessions) as session:
        conv = await _conversation(session, staff, conversation_id)
        items = await service.set_fields(
            session, staff, conv.workspace_id, body.values, conversation=conv
        )
        return {"items": items}


# ---- on a customer --------------------------------------------------------------------------


@router.get("/customers/{customer_id}/tags", response_model=TagsRead)
async def read_customer_tags(
    customer_id: str, staff: CustomerReader, runtime: RuntimeDep
) -> dict[str, Any]:
    async with runtime.sessions() as session:
        customer = await service.visible_customer(session, staff, customer_id)
        return {"tags": await service.customer_tags(session, customer.id)}


@router.put("/customers/{customer_id}/tags/{tag}", response_model=TagsRead)
async def add_customer_tag(
    customer_id: str, tag: TagPath, staff: ConversationHandler, runtime: RuntimeDep
) -> dict[str, Any]:
    async with transaction(runtime.sessions) as session:
        customer = await service.visible_customer(session, staff, customer_id)
        return {"tags": await service.tag_customer(session, staff, customer, tag, add=True)}


@router.delete("/customers/{customer_id}/tags/{tag}", response_model=TagsRead)
async def remove_customer_tag(
    customer_id: str, tag: TagPath, staff: ConversationHandler, runtime: RuntimeDep
) -> dict[str, Any]:
    async with transaction(runtime.sessions) as session:
        customer = await service.visible_customer(session, staff, customer_id)
        return {"tags": await service.tag_customer(session, staff, customer, tag, add=False)}


@router.get("/customers/{customer_id}/fields", response_model=FieldValueList)
async def read_customer_fields(
    customer_id: str, staff: CustomerReader, runtime: RuntimeDep
) -> dict[str, Any]:
    async with runtime.sessions() as session:
        customer = await service.visible_customer(session, staff, customer_id)
        items = await service.field_values(session, staff.workspace_id, customer_id=customer.id)
        return {"items": items}


@router.patch("/customers/{customer_id}/fields", response_model=FieldValueList)
async def set_customer_fields(
    customer_id: str, body: FieldValues, staff: ConversationHandler, runtime: RuntimeDep
) -> dict[str, Any]:
    async with transaction(runtime.sessions) as session:
        customer = await service.visible_customer(session, staff, customer_id)
        items = await service.set_fields(
            session, staff, staff.workspace_id, body.values, customer=customer
        )
        return {"items": items}
