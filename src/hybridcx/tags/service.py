"""Tags and custom fields: the workspace's definitions, and adding or removing them on a
conversation or a customer. Every staff change is audited and, on a conversation, recorded as an
event (``tag.added``, ``tag.removed``, ``field.changed``). The AI sets tags from the intent with
``apply_ai_tags`` (one call from the turn)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.audit import record as audit
from hybridcx.auth.service import StaffPrincipal
from hybridcx.conversations import repository as conv_repo
from hybridcx.kit.errors import Conflict, InvalidInput, NotFound
from hybridcx.kit.ids import new_id, utcnow
from hybridcx.models import (
    Conversation,
    ConversationTag,
    Customer,
    CustomerTag,
    CustomFieldDefinition,
    CustomFieldValue,
    Tag,
)
from hybridcx.search.service import customer_visible

if TYPE_CHECKING:
    from hybridcx.pipeline.policy import RoutingPolicy

TAG_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
FIELD_KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
FIELD_TYPES = ("text", "number", "boolean", "date", "select")
ENTITIES = ("conversation", "customer")
MAX_TEXT = 1000
#: The ai_state key that says the AI's tags were applied for this topic (once per conversation).
AI_TAGGED = "ai_tagged"


def tag_name(raw: str) -> str:
    name = (raw or "").strip().lower()
    if not TAG_NAME.match(name):
        raise InvalidInput(
            f"Invalid tag {raw!r}: use 1-50 lower-case letters, digits, '-' or '_', "
            "starting with a letter or digit."
        )
    return name


# ---- the workspace's tags -------------------------------------------------------------------


async def list_tags(session: AsyncSession, workspace_id: str) -> list[dict[str, Any]]:
    stmt = select(Tag).where(Tag.workspace_id == workspace_id).order_by(Tag.name)
    return [
        {"name": t.name, "description": t.description}
        for t in (await session.execute(stmt)).scalars()
    ]


async def _tag(session: AsyncSession, workspace_id: str, name: str) -> Tag | None:
    stmt = select(Tag).where(Tag.workspace_id == workspace_id, Tag.name == name)
    return (await session.execute(stmt)).scalar_one_or_none()


async def create_tag(
    session: AsyncSession, staff: StaffPrincipal, name: str, description: str = ""
) -> dict[str, Any]:
    name = tag_name(name)
    if await _tag(session, staff.workspace_id, name) is not None:
        raise Conflict(f"The tag {name!r} exists already.")
    session.add(
        Tag(id=new_id(), workspace_id=staff.workspace_id, name=name, description=description)
    )
    audit(session, action="tag.created", actor=staff, target_type="tag", target_id=name)
    return {"name": name, "description": description}


async def delete_tag(session: AsyncSession, staff: StaffPrincipal, name: str) -> None:
    tag = await _tag(session, staff.workspace_id, tag_name(name))
    if tag is None:
        raise NotFound(f"No tag {name!r} in this workspace.")
    for model in (ConversationTag, CustomerTag):
        await session.execute(
            delete(model).where(model.workspace_id == staff.workspace_id, model.tag == tag.name)
        )
    await session.delete(tag)
    audit(session, action="tag.deleted", actor=staff, target_type="tag", target_id=tag.name)


async def _known_tag(session: AsyncSession, workspace_id: str, raw: str) -> str:
    name = tag_name(raw)
    if await _tag(session, workspace_id, name) is None:
        raise InvalidInput(
            f"Unknown tag {name!r}: a supervisor adds it to the workspace first "
            "(POST /api/v1/tags)."
        )
    return name


# ---- tags on a conversation or a customer ---------------------------------------------------


async def conversation_tags(session: AsyncSession, conversation_id: str) -> list[str]:
    stmt = (
        select(ConversationTag.tag)
        .where(ConversationTag.conversation_id == conversation_id)
        .order_by(ConversationTag.tag)
    )
    return list((await session.execute(stmt)).scalars())


async def customer_tags(session: AsyncSession, customer_id: str) -> list[str]:
    stmt = (
        select(CustomerTag.tag)
        .where(CustomerTag.customer_id == customer_id)
        .order_by(CustomerTag.tag)
    )
    return list((await session.execute(stmt)).scalars())


async def tag_conversation(
    session: AsyncSession, staff: StaffPrincipal, conv: Conversation, raw: str, *, add: bool
) -> list[str]:
    name = await _known_tag(session, conv.workspace_id, raw) if add else tag_name(raw)
    current = await conversation_tags(session, conv.id)
    if add and name not in current:
        session.add(
            ConversationTag(
                id=new_id(),
                workspace_id=conv.workspace_id,
                conversation_id=conv.id,
                tag=name,
                added_by=staff.agent_id,
            )
        )
        current = sorted([*current, name])
    elif not add and name in current:
        await session.execute(
            delete(ConversationTag).where(
                ConversationTag.conversation_id == conv.id, ConversationTag.tag == name
            )
        )
        current.remove(name)
    else:
        return current  # nothing changed: nothing to record
    kind = "tag.added" if add else "tag.removed"
    conv_repo.add_event(
        session, conv, kind, actor="agent", actor_id=staff.agent_id, data={"tag": name}
    )
    audit(
        session,
        action="conversation.tagged" if add else "conversation.untagged",
        actor=staff,
        target_type="conversation",
        target_id=conv.id,
        details={"tag": name},
    )
    return current


async def tag_customer(
    session: AsyncSession, staff: StaffPrincipal, customer: Customer, raw: str, *, add: bool
) -> list[str]:
    name = await _known_tag(session, customer.workspace_id, raw) if add else tag_name(raw)
    current = await customer_tags(session, customer.id)
    if add and name not in current:
        session.add(
            CustomerTag(
                id=new_id(),
                workspace_id=customer.workspace_id,
                customer_id=customer.id,
                tag=name,
                added_by=staff.agent_id,
            )
        )
        current = sorted([*current, name])
    elif not add and name in current:
        await session.execute(
            delete(CustomerTag).where(
                CustomerTag.customer_id == customer.id, CustomerTag.tag == name
            )
        )
        current.remove(name)
    else:
        return current
    audit(
        session,
        action="customer.tagged" if add else "customer.untagged",
        actor=staff,
        target_type="customer",
        target_id=customer.id,
        details={"tag": name},
    )
    return current


async def apply_ai_tags(session: AsyncSession, conv: Conversation, policy: RoutingPolicy) -> None:
    """The tags the workspace's policy maps the conversation's topic (intent) to, set once per
    conversation. A turn whose topic was handled already returns before any query."""
    state = conv.ai_state or {}
    topic = state.get("topic")
    if not topic or state.get(AI_TAGGED) == topic:
        return
    conv.ai_state = {**state, AI_TAGGED: topic}
    wanted = [tag_name(t) for t in policy.intent_tags.get(topic, [])]
    if not wanted:
        return
    known = {
        t
        for t in (
            await session.execute(
                select(Tag.name).where(Tag.workspace_id == conv.workspace_id, Tag.name.in_(wanted))
            )
        ).scalars()
    }
    current = set(await conversation_tags(session, conv.id))
    for name in wanted:
        if name not in known:  # the policy names it: it becomes one of the workspace's tags
            session.add(Tag(id=new_id(), workspace_id=conv.workspace_id, name=name))
            known.add(name)
        if name in current:
            continue
        current.add(name)
        session.add(
            ConversationTag(
                id=new_id(),
                workspace_id=conv.workspace_id,
                conversation_id=conv.id,
                tag=name,
                added_by="ai",
            )
        )
        conv_repo.add_event(
            session, conv, "tag.added", actor="ai", data={"tag": name, "intent": topic}
        )


# ---- custom fields --------------------------------------------------------------------------


def definition_read(d: CustomFieldDefinition) -> dict[str, Any]:
    return {
        "entity": d.entity,
        "key": d.key,
        "label": d.label,
        "type": d.type,
        "options": list(d.options or []),
    }


async def definitions(
    session: AsyncSession, workspace_id: str, entity: str | None = None
) -> Sequence[CustomFieldDefinition]:
    stmt = select(CustomFieldDefinition).where(CustomFieldDefinition.workspace_id == workspace_id)
    if entity:
        stmt = stmt.where(CustomFieldDefinition.entity == entity)
    stmt = stmt.order_by(CustomFieldDefinition.entity, CustomFieldDefinition.key)
    return (await session.execute(stmt)).scalars().all()


async def create_definition(
    session: AsyncSession,
    staff: StaffPrincipal,
    *,
    entity: str,
    key: str,
    label: str,
    type_: str,
    options: list[str],
) -> dict[str, Any]:
    if entity not in ENTITIES:
        raise InvalidInput(f"entity must be one of {', '.join(ENTITIES)}.")
    if not FIELD_KEY.match(key):
        raise InvalidInput(
            f"Invalid field key {key!r}: 1-50 lower-case letters, digits or '_', "
            "starting with a letter."
        )
    if type_ not in FIELD_TYPES:
        raise InvalidInput(f"type must be one of {', '.join(FIELD_TYPES)}.")
    options = [o.strip() for o in options if o.strip()]
    if type_ == "select" and not options:
        raise InvalidInput("A select field needs at least one option.")
    if type_ != "select" and options:
        raise InvalidInput("Only a select field has options.")
    existing = [d for d in await definitions(session, staff.workspace_id, entity) if d.key == key]
    if existing:
        raise Conflict(f"The {entity} field {key!r} exists already.")
    d = CustomFieldDefinition(
        id=new_id(),
        workspace_id=staff.workspace_id,
        entity=entity,
        key=key,
        label=label.strip() or key,
        type=type_,
        options=options,
    )
    session.add(d)
    audit(
        session,
        action="custom_field.created",
        actor=staff,
        target_type="custom_field",
        target_id=f"{entity}.{key}",
        details={"type": type_},
    )
    return definition_read(d)


async def delete_definition(
    session: AsyncSession, staff: StaffPrincipal, entity: str, key: str
) -> None:
    found = [d for d in await definitions(session, staff.workspace_id, entity) if d.key == key]
    if not found:
        raise NotFound(f"No {entity} field {key!r} in this workspace.")
    owner = (
        CustomFieldValue.conversation_id
        if entity == "conversation"
        else CustomFieldValue.customer_id
    )
    await session.execute(
        delete(CustomFieldValue).where(
            CustomFieldValue.workspace_id == staff.workspace_id,
            CustomFieldValue.key == key,
            owner.is_not(None),
        )
    )
    await session.delete(found[0])
    audit(
        session,
        action="custom_field.deleted",
        actor=staff,
        target_type="custom_field",
        target_id=f"{entity}.{key}",
    )


def coerce(d: CustomFieldDefinition, value: Any) -> Any:
    """The value as stored for this field's type, or InvalidInput naming the field."""
    where = f"Field {d.key!r} ({d.type})"
    if d.type == "text":
        if not isinstance(value, str):
            raise InvalidInput(f"{where} takes text.")
        if len(value) > MAX_TEXT:
            raise InvalidInput(f"{where} takes at most {MAX_TEXT} characters.")
        return value
    if d.type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInput(f"{where} takes a number.")
        if value != value or value in (float("inf"), float("-inf")):
            raise InvalidInput(f"{where} takes a finite number.")
        return value
    if d.type == "boolean":
        if not isinstance(value, bool):
            raise InvalidInput(f"{where} takes true or false.")
        return value
    if d.type == "date":
        try:
            return date.fromisoformat(value).isoformat() if isinstance(value, str) else _bad()
        except ValueError:
            raise InvalidInput(f"{where} takes a date as YYYY-MM-DD.") from None
    if value not in (d.options or []):
        raise InvalidInput(f"{where} takes one of: {', '.join(d.options or [])}.")
    return value


def _bad() -> str:
    raise ValueError


async def field_values(
    session: AsyncSession,
    workspace_id: str,
    *,
    conversation_id: str | None = None,
    customer_id: str | None = None,
) -> list[dict[str, Any]]:
    entity = "conversation" if conversation_id else "customer"
    defs = await definitions(session, workspace_id, entity)
    owner = (
        CustomFieldValue.conversation_id == conversation_id
        if conversation_id
        else CustomFieldValue.customer_id == customer_id
    )
    stmt = select(CustomFieldValue).where(CustomFieldValue.workspace_id == workspace_id, owner)
    values = {v.key: v.value for v in (await session.execute(stmt)).scalars()}
    return [{**definition_read(d), "value": values.get(d.key)} for d in defs]


async def set_fields(
    session: AsyncSession,
    staff: StaffPrincipal,
    workspace_id: str,
    changes: dict[str, Any],
    *,
    conversation: Conversation | None = None,
    customer: Customer | None = None,
) -> list[dict[str, Any]]:
    """Set (or with ``None`` clear) field values; every key must be a defined field."""
    entity = "conversation" if conversation is not None else "customer"
    owner_id = conversation.id if conversation is not None else customer.id  # type: ignore[union-attr]
    defs = {d.key: d for d in await definitions(session, workspace_id, entity)}
    unknown = sorted(set(changes) - set(defs))
    if unknown:
        raise InvalidInput(f"Unknown {entity} field(s): {', '.join(unknown)}.")
    coerced = {k: None if v is None else coerce(defs[k], v) for k, v in changes.items()}
    owner_col = (
        CustomFieldValue.conversation_id
        if conversation is not None
        else CustomFieldValue.customer_id
    )
    stmt = select(CustomFieldValue).where(
        CustomFieldValue.workspace_id == workspace_id, owner_col == owner_id
    )
    rows = {v.key: v for v in (await session.execute(stmt)).scalars()}
    changed: list[str] = []
    for key, value in coerced.items():
        row = rows.get(key)
        if value is None:
            if row is not None:
                await session.delete(row)
                changed.append(key)
        elif row is None:
            session.add(
                CustomFieldValue(
                    id=new_id(),
                    workspace_id=workspace_id,
                    conversation_id=owner_id if conversation is not None else None,
                    customer_id=owner_id if customer is not None else None,
                    key=key,
                    value=value,
                    updated_at=utcnow(),
                )
            )
            changed.append(key)
        elif row.value != value:
            row.value = value
            changed.append(key)
    if changed:
        # Which fields changed, never their values (they may be personal data).
        audit(
            session,
            action=f"{entity}.fields_changed",
            actor=staff,
            target_type=entity,
            target_id=owner_id,
            details={"fields": sorted(changed)},
        )
        if conversation is not None:
            conv_repo.add_event(
                session,
                conversation,
                "field.changed",
                actor="agent",
                actor_id=staff.agent_id,
                data={"fields": sorted(changed)},
            )
    await session.flush()
    if conversation is not None:
        return await field_values(session, workspace_id, conversation_id=owner_id)
    return await field_values(session, workspace_id, customer_id=owner_id)


async def visible_customer(
    session: AsyncSession, staff: StaffPrincipal, customer_id: str
) -> Customer:
    """The workspace's customer (not erased); agents reach the customers of conversations
    they may see (as the customer overview). 404 otherwise."""
    stmt = select(Customer).where(
        Customer.id == customer_id,
        Customer.workspace_id == staff.workspace_id,
        Customer.erased_at.is_(None),
    )
    customer = (await session.execute(stmt)).scalar_one_or_none()
    if customer is None or not await customer_visible(session, staff, customer.id):
        raise NotFound("Customer not found.")
    return customer
