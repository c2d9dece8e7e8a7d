"""The customer profile across channels (issue 20): ``GET /api/v1/customers/{id}`` (one history
however many records were merged), identities, merge proposals, merge and unmerge."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select

from hybridcx.audit import record as audit
from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import (
    ConversationHandler,
    ConversationSupervisor,
    CustomerReader,
    Perm,
    can,
)
from hybridcx.conversations.schemas import customer_read
from hybridcx.integrations.outbound import enqueue_customer_push
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import Conflict, InvalidInput, NotFound
from hybridcx.kit.ids import utcnow
from hybridcx.kit.time import iso
from hybridcx.models import Conversation, Customer, CustomerMerge
from hybridcx.privacy.consent import read_consents
from hybridcx.profiles import repository as repo
from hybridcx.profiles import service
from hybridcx.profiles.fieldsync import PREFERENCES
from hybridcx.profiles.preferences import Preferences, preferences_read, stored_preferences
from hybridcx.segments.profiles import DEFAULT_SEGMENT, workspace_segments

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])


class IdentityLink(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["email", "phone", "external", "crm"]
    value: str = Field(min_length=1, max_length=320)
    verified: bool = Field(
        default=False,
        description="Proven (a code, a signed identity): a match merges at once. "
        "Otherwise a match is proposed to staff.",
    )

    @field_validator("value")
    @classmethod
    def printable(cls, value: str) -> str:
        if any(ord(ch) < 32 or 0xD800 <= ord(ch) <= 0xDFFF for ch in value):
            raise ValueError("must be printable text (no control characters)")
        return value


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: str | None = Field(
        default=None, max_length=36, description="The customer to merge into this one."
    )
    proposal_id: str | None = Field(
        default=None, max_length=36, description="Accept a proposal instead."
    )


class UnmergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    merge_id: str | None = Field(default=None, max_length=36)


async def _visible(session: Any, staff: Any, customer_id: str) -> bool:
    if can(staff, Perm.CONVERSATIONS_SUPERVISE):
        return True
    from hybridcx.auth.permissions import visible_conversations

    stmt = (
        select(Conversation.id)
        .where(Conversation.customer_id == customer_id, visible_conversations(staff))
        .limit(1)
    )
    return (await session.execute(stmt)).first() is not None


@router.get("/merge-proposals")
async def merge_proposals(staff: ConversationSupervisor, runtime: RuntimeDep) -> dict[str, Any]:
    """Customers who look like one person but are not proven to be (the same phone number, an
    unverified email): for a supervisor to merge or dismiss."""
    async with transaction(runtime.sessions) as session:
        await service.refresh_proposals(session, staff.workspace_id)
        items = []
        for row in await repo.proposals(session, staff.workspace_id):
            pair = []
            for cid in (row.survivor_id, row.merged_id):
                c = await session.get(Customer, cid)
                if c is not None:
                    pair.append({**customer_read(c), "since": iso(c.created_at)})
            items.append({**service.merge_read(row), "customers": pair})
    return {"items": items}


@router.post("/merge-proposals/{proposal_id}/dismiss")
async def dismiss_proposal(
    proposal_id: str, staff: ConversationSupervisor, runtime: RuntimeDep
) -> dict[str, Any]:
    async with transaction(runtime.sessions) as session:
        row = await _merge_row(session, staff.workspace_id, proposal_id)
        if row.status != "proposed":
            raise Conflict("That proposal was decided already.")
        row.status = "dismissed"
        row.decided_by = staff.agent_id
        audit(
            session,
            action="customer.merge_dismissed",
            actor=staff,
            target_type="customer",
            target_id=row.survivor_id,
            details={"customer_id": row.merged_id, "merge_id": row.id},
        )
        return service.merge_read(row)


async def _merge_row(session: Any, workspace_id: str, merge_id: str) -> CustomerMerge:
    row = await session.get(CustomerMerge, merge_id)
    if row is None or row.workspace_id != workspace_id:
        raise NotFound("No such merge in this workspace.")
    return row


@router.get("/{customer_id}")
async def customer_profile(
    customer_id: str, staff: CustomerReader, runtime: RuntimeDep
) -> dict[str, Any]:
    """The customer's one profile: details, identities, every conversation on every channel
    (across merged records) and the merges. A merged-away id answers with the survivor
    (``merged_into`` says so)."""
    async with transaction(runtime.sessions) as session:
        asked = await session.get(Customer, customer_id)
        if asked is None or asked.workspace_id != staff.workspace_id:
            raise NotFound("No such customer in this workspace.")
        customer = await repo.follow_merges(session, asked)
        assert customer is not None
        if not await _visible(session, staff, customer.id):
            raise NotFound("No such customer in this workspace.")
        audit(
            session,
            action="customer.read",
            actor=staff,
            target_type="customer",
            target_id=customer.id,
        )
        conversations = await repo.conversations_of(session, staff.workspace_id, customer.id)
        return {
            "customer": {**customer_read(customer), "since": iso(customer.created_at)},
            "preferences": preferences_read(customer.preferences),
            "consents": [c.to_dict() for c in read_consents(customer.consents).values()],
            "segments": await _segments(session, runtime, customer),
            "merged_into": customer.id if customer.id != asked.id else None,
            "identities": [
                service.identity_read(i) for i in await repo.identities_of(session, customer.id)
            ],
            "channels": sorted({c.channel for c in conversations}),
            "history": [
                {
                    "id": c.id,
                    "channel": c.channel,
                    "status": c.status,
                    "tier": c.tier,
                    "created_at": iso(c.created_at),
                }
                for c in conversations
            ],
            "merges": [
                service.merge_read(m) for m in await repo.merges_touching(session, customer.id)
            ],
        }


async def _segments(session: Any, runtime: Any, customer: Customer) -> dict[str, Any]:
    """The segment profile the customer matches (the routing turn's choice) and the segment
    attributes it is chosen from."""
    from hybridcx.models import Workspace

    workspace = await session.get(Workspace, customer.workspace_id)
    found = None
    if workspace is not None:
        try:
            profiles = workspace_segments(runtime.policies.policy_dir, workspace.slug)
        except InvalidInput:  # a broken segments file must not hide the rest of the profile
            profiles = None
        found = profiles.choose(customer) if profiles is not None else None
    return {
        "profile": (
            {
                "name": found.name,
                "description": found.description,
                "tone": found.tone,
                "language": found.language,
            }
            if found is not None
            else {"name": DEFAULT_SEGMENT, "description": "", "tone": "", "language": None}
        ),
        "matched": found is not None,
        "attributes": dict(customer.attributes or {}),
    }


@router.get("/{customer_id}/preferences")
async def read_preferences(
    customer_id: str, staff: CustomerReader, runtime: RuntimeDep
) -> dict[str, Any]:
    async with runtime.sessions() as session:
        customer = await _visible_customer(session, staff, customer_id)
        return {"customer_id": customer.id, **preferences_read(customer.preferences)}


@router.put("/{customer_id}/preferences")
async def set_preferences(
    customer_id: str, body: Preferences, staff: ConversationHandler, runtime: RuntimeDep
) -> dict[str, Any]:
    """Record the customer's preferred channel, language and contact hours (the whole set:
    a key left out clears it). Outreach keeps to the channel and the hours."""
    async with transaction(runtime.sessions) as session:
        customer = await _visible_customer(session, staff, customer_id)
        before = preferences_read(customer.preferences)
        customer.preferences = stored_preferences(body, at=iso(utcnow()), by=staff.agent_id)
        after = preferences_read(customer.preferences)
        audit(
            session,
            action="customer.preferences_updated",
            actor=staff,
            target_type="customer",
            target_id=customer.id,
            details={"keys": sorted(k for k, v in body.model_dump().items() if v is not None)},
        )
        await session.flush()
        # the CRM gets the preferences its conflict rules let hybridcx own (an outbox row)
        changed = [f for f, key in PREFERENCES.items() if before[key] != after[key]]
        await enqueue_customer_push(session, staff.workspace_id, customer.id, changed)
        return {"customer_id": customer.id, **after}


async def _visible_customer(session: Any, staff: Any, customer_id: str) -> Customer:
    """The customer (not erased, not merged away) if it is in the staff member's workspace
    and, for a team-scoped role, one of their conversations is theirs to see."""
    asked = await session.get(Customer, customer_id)
    if asked is None or asked.workspace_id != staff.workspace_id:
        raise NotFound("No such customer in this workspace.")
    customer = await repo.follow_merges(session, asked)  # a merged-away id means its survivor
    if (
        customer is None
        or customer.erased_at is not None
        or not await _visible(session, staff, customer.id)
    ):
        raise NotFound("No such customer in this workspace.")
    return customer


@router.post("/{customer_id}/identities")
async def link_identity(
    customer_id: str, body: IdentityLink, staff: ConversationSupervisor, runtime: RuntimeDep
) -> dict[str, Any]:
    """Record another identity of the customer. A verified one held by another customer merges
    the two; an unverified match is proposed."""
    async with transaction(runtime.sessions) as session:
        customer = await service.customer_in(session, staff.workspace_id, customer_id)
        return await service.link_identity(
            session,
            customer,
            kind=body.kind,
            value=body.value,
            verified=body.verified,
            source="staff",
            actor=staff,
        )


@router.post("/{customer_id}/merge")
async def merge_customers(
    customer_id: str, body: MergeRequest, staff: ConversationSupervisor, runtime: RuntimeDep
) -> dict[str, Any]:
    """Merge another customer (``customer_id`` in the body, or a proposal's other customer)
    into this one: its conversations, tags, orders and contact details move here."""
    if (body.customer_id is None) == (body.proposal_id is None):
        raise InvalidInput("Give either customer_id or proposal_id.")
    async with transaction(runtime.sessions) as session:
        survivor = await service.customer_in(session, staff.workspace_id, customer_id)
        proposal = None
        if body.proposal_id is not None:
            proposal = await _merge_row(session, staff.workspace_id, body.proposal_id)
            if proposal.status != "proposed":
                raise Conflict("That proposal was decided already.")
            pair = {proposal.survivor_id, proposal.merged_id}
            if customer_id not in pair:
                raise Conflict("That proposal is not about this customer.")
            other_id = (pair - {customer_id}).pop()
        else:
            assert body.customer_id is not None
            other_id = body.customer_id
        absorbed = await service.customer_in(session, staff.workspace_id, other_id)
        row = await service.merge(
            session, survivor, absorbed, reason="staff", actor=staff, proposal=proposal
        )
        return service.merge_read(row)


@router.post("/{customer_id}/unmerge")
async def unmerge_customers(
    customer_id: str, body: UnmergeRequest, staff: ConversationSupervisor, runtime: RuntimeDep
) -> dict[str, Any]:
    """Undo a merge: what it moved goes back. ``{id}`` is either customer of the merge; without
    ``merge_id``, the merge that absorbed ``{id}`` (or the survivor's latest)."""
    async with transaction(runtime.sessions) as session:
        await service.customer_in(session, staff.workspace_id, customer_id)
        if body.merge_id is not None:
            row = await _merge_row(session, staff.workspace_id, body.merge_id)
            if customer_id not in (row.survivor_id, row.merged_id):
                raise Conflict("That merge is not about this customer.")
        else:
            rows = [
                m for m in await repo.merges_touching(session, customer_id) if m.status == "merged"
            ]
            absorbed = [m for m in rows if m.merged_id == customer_id]
            if not rows:
                raise Conflict("This customer has no merge in effect.")
            row = absorbed[-1] if absorbed else rows[-1]
        return service.merge_read(await service.unmerge(session, row, actor=staff))
