"""The customer profile across channels: ``GET /api/v1/customers/{id}`` (one history
however many records were merged), identities, merge proposals, merge and unmerge."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator

from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import (
    ConversationHandler,
    ConversationSupervisor,
    CustomerReader,
)
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import Conflict, InvalidInput
from hybridcx.profiles import repository as repo
from hybridcx.profiles import service
from hybridcx.profiles.preferences import Preferences, preferences_read
from hybridcx.profiles.schemas import (
    CustomerPreferences,
    CustomerProfile,
    IdentityLinked,
    MergeRead,
    ProposalList,
)

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


@router.get("/merge-proposals", response_model=ProposalList)
async def merge_proposals(staff: ConversationSupervisor, runtime: RuntimeDep) -> dict[str, Any]:
    """Customers who look like one person but are not proven to be (the same phone number, an
    unverified email): for a supervisor to merge or dismiss."""
    async with transaction(runtime.sessions) as session:
        items = await service.proposals_read(session, staff.workspace_id)
    return {"items": items}


@router.post("/merge-proposals/{proposal_id}/dismiss", response_model=MergeRead)
async def dismiss_proposal(
    proposal_id: str, staff: ConversationSupervisor, runtime: RuntimeDep
) -> dict[str, Any]:
    async with transaction(runtime.sessions) as session:
        row = await service.dismiss_proposal(session, staff, proposal_id)
        return service.merge_read(row)


@router.get("/{customer_id}", response_model=CustomerProfile)
async def customer_profile(
    customer_id: str, staff: CustomerReader, runtime: RuntimeDep
) -> dict[str, Any]:
    """The customer's one profile: details, identities, every conversation on every channel
    (across merged records) and the merges. A merged-away id answers with the survivor
    (``merged_into`` says so)."""
    async with transaction(runtime.sessions) as session:
        return await service.profile(
            session, staff, customer_id, policy_dir=runtime.policies.policy_dir
        )


@router.get("/{customer_id}/preferences", response_model=CustomerPreferences)
async def read_preferences(
    customer_id: str, staff: CustomerReader, runtime: RuntimeDep
) -> dict[str, Any]:
    async with runtime.sessions() as session:
        customer = await service.visible_customer(session, staff, customer_id)
        return {"customer_id": customer.id, **preferences_read(customer.preferences)}


@router.put("/{customer_id}/preferences", response_model=CustomerPreferences)
async def set_preferences(
    customer_id: str, body: Preferences, staff: ConversationHandler, runtime: RuntimeDep
) -> dict[str, Any]:
    """Record the customer's preferred channel, language and contact hours (the whole set:
    a key left out clears it). Outreach keeps to the channel and the hours."""
    async with transaction(runtime.sessions) as session:
        customer = await service.visible_customer(session, staff, customer_id)
        after = await service.set_preferences(session, staff, customer, body)
        return {"customer_id": customer.id, **after}


@router.post("/{customer_id}/identities", response_model=IdentityLinked)
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


@router.post("/{customer_id}/merge", response_model=MergeRead)
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
            proposal = await service.merge_row(session, staff.workspace_id, body.proposal_id)
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


@router.post("/{customer_id}/unmerge", response_model=MergeRead)
async def unmerge_customers(
    customer_id: str, body: UnmergeRequest, staff: ConversationSupervisor, runtime: RuntimeDep
) -> dict[str, Any]:
    """Undo a merge: what it moved goes back. ``{id}`` is either customer of the merge; without
    ``merge_id``, the merge that absorbed ``{id}`` (or the survivor's latest)."""
    async with transaction(runtime.sessions) as session:
        await service.customer_in(session, staff.workspace_id, customer_id)
        if body.merge_id is not None:
            row = await service.merge_row(session, staff.workspace_id, body.merge_id)
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
