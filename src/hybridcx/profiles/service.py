"""One customer profile across channels.

A customer is known by identities: the email and phone on the record, and further rows in
``customer_identities`` (more emails and phones, external ids, CRM ids). When an identity is
linked that another customer already has, the two are one person:

- a **verified** identity merges them at once (the older record survives);
- an **unverified** match (the same phone number, an email nobody proved) becomes a
  **proposal** staff accept (``merge``) or dismiss.

A merge moves the absorbed customer's conversations, tags, custom field values, demo orders and
appointments to the survivor, gives the survivor the email/phone/external id it lacked, and
records what moved so an **unmerge** puts exactly that back. Both are audited.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.audit import record as audit
from hybridcx.auth.service import StaffPrincipal
from hybridcx.conversations.schemas import customer_read
from hybridcx.integrations.outbound import enqueue_customer_push
from hybridcx.kit.errors import Conflict, InvalidInput, NotFound
from hybridcx.kit.ids import new_id, utcnow
from hybridcx.kit.time import iso
from hybridcx.models import (
    Conversation,
    Customer,
    CustomerIdentity,
    CustomerMerge,
    CustomerTag,
    CustomFieldValue,
    DemoAppointmentSlot,
    DemoOrder,
    Workspace,
)
from hybridcx.privacy.consent import read_consents
from hybridcx.profiles import repository as repo
from hybridcx.profiles.fieldsync import PREFERENCE_FIELDS, PREFERENCES
from hybridcx.profiles.preferences import (
    Preferences,
    fill_gaps,
    preferences_read,
    stored_preferences,
)
from hybridcx.search.service import customer_visible
from hybridcx.segments.profiles import DEFAULT_SEGMENT, workspace_segments

CONTACT_FIELDS = ("email", "phone", "external_id")


def _actor(actor: StaffPrincipal | None, workspace_id: str) -> dict[str, Any]:
    if actor is not None:
        return {"actor": actor}
    return {"actor_type": "system", "workspace_id": workspace_id}


async def customer_in(session: AsyncSession, workspace_id: str, customer_id: str) -> Customer:
    customer = await session.get(Customer, customer_id)
    if customer is None or customer.workspace_id != workspace_id:
        raise NotFound("No such customer in this workspace.")
    return customer


async def link_identity(
    session: AsyncSession,
    customer: Customer,
    *,
    kind: str,
    value: str,
    verified: bool,
    source: str,
    actor: StaffPrincipal | None = None,
) -> dict[str, Any]:
    """Record that ``customer`` is also known by this identity; merge or propose a merge with
    any other customer known by it. Returns what happened."""
    if kind not in repo.KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(repo.KINDS)}.")
    text = repo.normalize(kind, value)
    if not text.strip("+") or len(text) > 320:
        raise InvalidInput(f"That is not a usable {kind}.")
    if kind == "email" and ("@" not in text or " " in text):
        raise InvalidInput("That is not an email address.")
    ws = customer.workspace_id
    target = await session.get(Customer, await repo.survivor_id(session, customer.id))
    assert target is not None
    value_hash = repo.blind(session, kind, text)
    others = [c for c in await repo.holders(session, ws, kind, value_hash) if c != target.id]
    existing = await session.execute(
        select(CustomerIdentity).where(
            CustomerIdentity.customer_id == target.id,
            CustomerIdentity.kind == kind,
            CustomerIdentity.value_hash == value_hash,
        )
    )
    row = existing.scalar_one_or_none()
    if row is None:
        row = CustomerIdentity(
            id=new_id(),
            workspace_id=ws,
            customer_id=target.id,
            kind=kind,
            value=text,
            value_hash=value_hash,
            verified=verified,
            source=source[:64],
        )
        session.add(row)
    elif verified and not row.verified:
        row.verified = True
    await session.flush()
    audit(
        session,
        action="customer.identity_linked",
        target_type="customer",
        target_id=target.id,
        details={"kind": kind, "verified": verified, "source": source[:64]},
        **_actor(actor, ws),
    )
    merged: list[str] = []
    proposed: list[str] = []
    for other_id in others:
        other = await session.get(Customer, other_id)
        assert other is not None
        if verified:
            older, newer = sorted((target, other), key=lambda c: (c.created_at, c.id))
            result = await merge(session, older, newer, reason=f"verified_{kind}", actor=actor)
            merged.append(result.id)
            target = older
        else:
            proposal = await propose(session, target, other, reason=f"same_{kind}")
            if proposal is not None:
                proposed.append(proposal.id)
    return {
        "identity": identity_read(row),
        "customer_id": target.id,
        "merged": merged,
        "proposed": proposed,
    }


async def propose(
    session: AsyncSession, a: Customer, b: Customer, *, reason: str
) -> CustomerMerge | None:
    """A proposal to merge the newer of two customers into the older, unless one is open or
    was dismissed already."""
    if a.id == b.id or await repo.open_pair(session, a.workspace_id, a.id, b.id) is not None:
        return None
    older, newer = sorted((a, b), key=lambda c: (c.created_at, c.id))
    proposal = CustomerMerge(
        id=new_id(),
        workspace_id=a.workspace_id,
        survivor_id=older.id,
        merged_id=newer.id,
        status="proposed",
        reason=reason[:64],
        moved={},
        created_at=utcnow(),
    )
    session.add(proposal)
    await session.flush()
    return proposal


async def refresh_proposals(session: AsyncSession, workspace_id: str) -> None:
    """Propose merges for customers who share a phone number (found by the blind index)."""
    for group in await repo.shared_phone_groups(session, workspace_id):
        survivors: list[str] = []
        for cid in group:
            target = await repo.survivor_id(session, cid)
            if target not in survivors:
                survivors.append(target)
        first = await session.get(Customer, survivors[0])
        for other_id in survivors[1:]:
            other = await session.get(Customer, other_id)
            if first is not None and other is not None:
                await propose(session, first, other, reason="same_phone")


async def merge(
    session: AsyncSession,
    survivor: Customer,
    absorbed: Customer,
    *,
    reason: str,
    actor: StaffPrincipal | None,
    proposal: CustomerMerge | None = None,
) -> CustomerMerge:
    """Move ``absorbed``'s history to ``survivor``. Reversible with :func:`unmerge`."""
    if survivor.id == absorbed.id:
        raise InvalidInput("A customer cannot be merged with itself.")
    if survivor.workspace_id != absorbed.workspace_id:
        raise NotFound("No such customer in this workspace.")
    if survivor.erased_at is not None or absorbed.erased_at is not None:
        raise Conflict("An erased customer cannot be merged.")
    for c in (survivor, absorbed):
        if await repo.survivor_id(session, c.id) != c.id:
            raise Conflict(f"Customer {c.id} was merged into another customer already.")
    ws = survivor.workspace_id
    row = proposal or CustomerMerge(
        id=new_id(), workspace_id=ws, survivor_id=survivor.id, merged_id=absorbed.id
    )
    row.survivor_id, row.merged_id = survivor.id, absorbed.id
    conv_ids = list(
        (
            await session.execute(
                select(Conversation.id).where(
                    Conversation.workspace_id == ws, Conversation.customer_id == absorbed.id
                )
            )
        ).scalars()
    )
    have_tags = set(
        (
            await session.execute(
                select(CustomerTag.tag).where(CustomerTag.customer_id == survivor.id)
            )
        ).scalars()
    )
    tag_ids = [
        t.id
        for t in (
            await session.execute(select(CustomerTag).where(CustomerTag.customer_id == absorbed.id))
        ).scalars()
        if t.tag not in have_tags
    ]
    # Custom field values the survivor has no value for move too; where both have one, the
    # survivor's stands and the absorbed customer keeps its own (it is there again on unmerge).
    have_fields = set(
        (
            await session.execute(
                select(CustomFieldValue.key).where(CustomFieldValue.customer_id == survivor.id)
            )
        ).scalars()
    )
    field_value_ids = [
        v.id
        for v in (
            await session.execute(
                select(CustomFieldValue).where(CustomFieldValue.customer_id == absorbed.id)
            )
        ).scalars()
        if v.key not in have_fields
    ]
    order_ids = list(
        (
            await session.execute(
                select(DemoOrder.id).where(
                    DemoOrder.workspace_id == ws, DemoOrder.customer_id == absorbed.id
                )
            )
        ).scalars()
    )
    slot_ids = list(
        (
            await session.execute(
                select(DemoAppointmentSlot.id).where(
                    DemoAppointmentSlot.workspace_id == ws,
                    DemoAppointmentSlot.customer_id == absorbed.id,
                )
            )
        ).scalars()
    )
    for model, ids in (
        (Conversation, conv_ids),
        (CustomerTag, tag_ids),
        (CustomFieldValue, field_value_ids),
        (DemoOrder, order_ids),
        (DemoAppointmentSlot, slot_ids),
    ):
        if ids:
            await session.execute(
                update(model)
                .where(model.id.in_(ids))  # type: ignore[attr-defined]
                .values(customer_id=survivor.id)
                .execution_options(synchronize_session=False)
            )
    # Contact details the survivor lacks move with the history (cleared first: an email is
    # unique in its workspace). Those both have stay, and become identities of the survivor.
    fields: list[str] = []
    values: dict[str, str] = {}
    for name in CONTACT_FIELDS:
        theirs, ours = getattr(absorbed, name), getattr(survivor, name)
        if theirs and not ours:
            fields.append(name)
            values[name] = theirs
            setattr(absorbed, name, None)
    await session.flush()
    for name, moved_value in values.items():
        setattr(survivor, name, moved_value)
    # Preferences: the survivor's stand; the absorbed customer's fill the keys it has none for.
    survivor.preferences, preferences_filled = fill_gaps(survivor.preferences, absorbed.preferences)
    await session.flush()
    identity_ids: list[str] = []
    for kind, value in (("email", absorbed.email), ("phone", absorbed.phone)):
        if value:
            value_hash = repo.blind(session, kind, value)
            exists = await session.execute(
                select(CustomerIdentity.id).where(
                    CustomerIdentity.customer_id == survivor.id,
                    CustomerIdentity.kind == kind,
                    CustomerIdentity.value_hash == value_hash,
                )
            )
            if exists.first() is None:
                ident = CustomerIdentity(
                    id=new_id(),
                    workspace_id=ws,
                    customer_id=survivor.id,
                    kind=kind,
                    value=repo.normalize(kind, value),
                    value_hash=value_hash,
                    verified=False,
                    source="merge",
                    merge_id=row.id,
                )
                session.add(ident)
                identity_ids.append(ident.id)
    # The absorbed customer's own identity rows follow it (and come back on unmerge).
    # (Those the survivor has already stay where they are: the survivor answers for both.)
    have = {(i.kind, i.value_hash) for i in await repo.identities_of(session, survivor.id)}
    own = [
        i.id
        for i in await repo.identities_of(session, absorbed.id)
        if i.merge_id is None and (i.kind, i.value_hash) not in have
    ]
    if own:
        await session.execute(
            update(CustomerIdentity)
            .where(CustomerIdentity.id.in_(own))
            .values(customer_id=survivor.id)
            .execution_options(synchronize_session=False)
        )
    row.status = "merged"
    row.reason = row.reason if proposal is not None else reason[:64]
    row.moved = {
        "conversations": conv_ids,
        "customer_tags": tag_ids,
        "custom_field_values": field_value_ids,
        "demo_orders": order_ids,
        "demo_slots": slot_ids,
        "fields": fields,
        "identities_added": identity_ids,
        "identities_moved": own,
        "preferences": preferences_filled,
    }
    row.decided_by = actor.agent_id if actor is not None else None
    row.decided_at = utcnow()
    if proposal is None:
        session.add(row)
    await session.flush()
    audit(
        session,
        action="customer.merged",
        target_type="customer",
        target_id=survivor.id,
        details={
            "customer_id": absorbed.id,
            "merge_id": row.id,
            "reason": row.reason,
            "conversations": len(conv_ids),
            "fields": fields,
            "custom_fields": len(field_value_ids),
        },
        **_actor(actor, ws),
    )
    # The CRM gets what the survivor gained (its rules permitting): a moved phone, filled
    # preferences.
    await enqueue_customer_push(session, ws, survivor.id, _synced(fields, preferences_filled))
    return row


def _synced(fields: list[str], preference_keys: list[str]) -> list[str]:
    """The synced customer fields among what a merge or an unmerge moved."""
    return fields + [PREFERENCE_FIELDS[k] for k in preference_keys if k in PREFERENCE_FIELDS]


async def unmerge(
    session: AsyncSession, row: CustomerMerge, *, actor: StaffPrincipal
) -> CustomerMerge:
    """Put back exactly what the merge moved (conversations started since stay with the
    survivor)."""
    if row.status != "merged":
        raise Conflict("That merge is not in effect.")
    survivor = await session.get(Customer, row.survivor_id)
    absorbed = await session.get(Customer, row.merged_id)
    if survivor is None or absorbed is None:
        raise NotFound("No such customer in this workspace.")
    if survivor.erased_at is not None or absorbed.erased_at is not None:
        raise Conflict("An erased customer cannot be unmerged.")
    moved = dict(row.moved or {})
    for model, key in (
        (Conversation, "conversations"),
        (CustomerTag, "customer_tags"),
        (CustomFieldValue, "custom_field_values"),
        (DemoOrder, "demo_orders"),
        (DemoAppointmentSlot, "demo_slots"),
    ):
        ids = list(moved.get(key) or [])
        if ids:
            await session.execute(
                update(model)
                .where(model.id.in_(ids), model.customer_id == survivor.id)  # type: ignore[attr-defined]
                .values(customer_id=absorbed.id)
                .execution_options(synchronize_session=False)
            )
    added = list(moved.get("identities_added") or [])
    for ident in await repo.identities_of(session, survivor.id):
        if ident.id in added:
            await session.delete(ident)
    own = list(moved.get("identities_moved") or [])
    if own:
        await session.execute(
            update(CustomerIdentity)
            .where(CustomerIdentity.id.in_(own))
            .values(customer_id=absorbed.id)
            .execution_options(synchronize_session=False)
        )
    values: dict[str, Any] = {}
    for name in moved.get("fields") or []:
        values[name] = getattr(survivor, name)
        setattr(survivor, name, None)
    filled = list(moved.get("preferences") or [])
    if filled:  # the keys the merge filled go (unless staff changed them since)
        theirs = absorbed.preferences or {}
        survivor.preferences = {
            k: v
            for k, v in (survivor.preferences or {}).items()
            if k not in filled or v != theirs.get(k)
        }
    await session.flush()
    for name, value in values.items():
        setattr(absorbed, name, value)
    row.status = "unmerged"
    row.decided_by = actor.agent_id
    row.decided_at = utcnow()
    await session.flush()
    audit(
        session,
        action="customer.unmerged",
        actor=actor,
        target_type="customer",
        target_id=survivor.id,
        details={"customer_id": absorbed.id, "merge_id": row.id},
    )
    # Both records changed back: the CRM gets each one's fields (its rules permitting).
    moved_back = _synced(list(values), filled)
    for customer in (survivor, absorbed):
        await enqueue_customer_push(session, row.workspace_id, customer.id, moved_back)
    return row


def identity_read(row: CustomerIdentity) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "value": row.value,
        "verified": row.verified,
        "source": row.source,
        "created_at": iso(row.created_at),
    }


def merge_read(row: CustomerMerge) -> dict[str, Any]:
    moved = row.moved or {}
    return {
        "id": row.id,
        "status": row.status,
        "reason": row.reason,
        "survivor_id": row.survivor_id,
        "merged_id": row.merged_id,
        "conversations_moved": len(moved.get("conversations") or []),
        "fields_moved": list(moved.get("fields") or []),
        "created_at": iso(row.created_at),
        "decided_at": iso(row.decided_at) if row.decided_at else None,
    }


async def link_verified_email(session: AsyncSession, customer: Customer, email: str) -> None:
    """A web chat whose email the company signed (``identity_hash``): the address is proven,
    so a customer known by it elsewhere (an SMS customer staff noted it for) is merged."""
    await link_identity(
        session, customer, kind="email", value=email, verified=True, source="webchat_signed"
    )


async def visible_customer(
    session: AsyncSession, staff: StaffPrincipal, customer_id: str, *, erased_ok: bool = False
) -> Customer:
    """The customer (a merged-away id means its survivor) if it is in the staff member's
    workspace and, for a team-scoped role, one of its conversations is theirs to see; an
    erased one only with ``erased_ok``."""
    asked = await customer_in(session, staff.workspace_id, customer_id)
    customer = await repo.follow_merges(session, asked)
    if (
        customer is None
        or (customer.erased_at is not None and not erased_ok)
        or not await customer_visible(session, staff, customer.id)
    ):
        raise NotFound("No such customer in this workspace.")
    return customer


async def profile(
    session: AsyncSession, staff: StaffPrincipal, customer_id: str, *, policy_dir: Path
) -> dict[str, Any]:
    """The customer's one profile (details, identities, every conversation across merged
    records, merges); reading it is audited."""
    customer = await visible_customer(session, staff, customer_id, erased_ok=True)
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
        "segments": await _segments(session, policy_dir, customer),
        "merged_into": customer.id if customer.id != customer_id else None,
        "identities": [identity_read(i) for i in await repo.identities_of(session, customer.id)],
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
        "merges": [merge_read(m) for m in await repo.merges_touching(session, customer.id)],
    }


async def _segments(session: AsyncSession, policy_dir: Path, customer: Customer) -> dict[str, Any]:
    """The segment profile the customer matches (the routing turn's choice) and the segment
    attributes it is chosen from."""
    workspace = await session.get(Workspace, customer.workspace_id)
    found = None
    if workspace is not None:
        try:
            profiles = workspace_segments(policy_dir, workspace.slug)
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


async def set_preferences(
    session: AsyncSession, staff: StaffPrincipal, customer: Customer, body: Preferences
) -> dict[str, Any]:
    """Replace the customer's preferences (audited); the CRM gets the ones its conflict rules
    let hybridcx own. Returns them as read."""
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
    return after


async def merge_row(session: AsyncSession, workspace_id: str, merge_id: str) -> CustomerMerge:
    """A merge or merge proposal of the workspace; 404 otherwise."""
    row = await session.get(CustomerMerge, merge_id)
    if row is None or row.workspace_id != workspace_id:
        raise NotFound("No such merge in this workspace.")
    return row


async def proposals_read(session: AsyncSession, workspace_id: str) -> list[dict[str, Any]]:
    """The open merge proposals (refreshed first), each with its two customers."""
    await refresh_proposals(session, workspace_id)
    items = []
    for row in await repo.proposals(session, workspace_id):
        pair = []
        for cid in (row.survivor_id, row.merged_id):
            c = await session.get(Customer, cid)
            if c is not None:
                pair.append({**customer_read(c), "since": iso(c.created_at)})
        items.append({**merge_read(row), "customers": pair})
    return items


async def dismiss_proposal(
    session: AsyncSession, staff: StaffPrincipal, proposal_id: str
) -> CustomerMerge:
    """Decide a merge proposal against merging (audited); 409 when it was decided already."""
    row = await merge_row(session, staff.workspace_id, proposal_id)
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
    return row
