"""Sending what a CRM gets, from the database, not from in-process events.

Like the webhook worker, it reads the conversation event log: every ``conversation.resolved``
(a ticket or Case with the post-contact summary), ``survey.submitted`` (a note or comment on it)
and ``after_hours.callback`` (a Salesforce Task) of a workspace with a CRM connector becomes one
``integration_syncs`` row (unique per connector and event, so a second process or a second
round enqueues nothing twice). Customer pushes and erasures are written by
``hybridcx.integrations.outbound`` in the transaction of the change. Due rows are sent; every
attempt is an audit entry; a failure is retried with exponential backoff; after the last
attempt the row is ``dead`` and waits in the dead-letter list
(``GET /api/v1/integrations/{name}/syncs?status=dead``) for an admin to retry it. Each round
also polls inbound changes (``hybridcx.integrations.polling``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hybridcx.audit import record as audit
from hybridcx.flows.backend import BackendUnavailable
from hybridcx.integrations.hubspot import (
    CallbackTask,
    CaseStatus,
    ContactPush,
    ContactSeed,
    CsatNote,
    ResolvedCase,
    TimelineEntry,
)
from hybridcx.integrations.kinds import CRM_KINDS, kind
from hybridcx.integrations.outbound import PUSHED_RULES
from hybridcx.integrations.polling import poll_salesforce
from hybridcx.kit.db import transaction
from hybridcx.kit.ids import new_id, utcnow
from hybridcx.kit.tasks import reraise_if_cancelled
from hybridcx.kit.time import iso
from hybridcx.models import (
    Conversation,
    ConversationEvent,
    Customer,
    CustomerIdentity,
    IntegrationConnector,
    IntegrationSync,
)
from hybridcx.profiles import repository as identities
from hybridcx.profiles.fieldsync import outgoing, parse_time, property_names, rule_of

log = structlog.get_logger(__name__)
OVERLAP = timedelta(seconds=30)  # re-read this far back, for events committed out of order
BATCH = 200
LEASE = timedelta(seconds=60)  # a claimed row is not taken by another worker for this long


@dataclass(frozen=True)
class SyncPolicy:
    max_attempts: int = 6
    base_seconds: float = 10.0
    max_seconds: float = 3600.0

    def delay(self, attempt: int) -> timedelta:
        return timedelta(
            seconds=min(self.max_seconds, self.base_seconds * 2 ** max(0, attempt - 1))
        )


async def _crm_connectors(session: AsyncSession) -> list[IntegrationConnector]:
    rows = await session.execute(
        select(IntegrationConnector).where(IntegrationConnector.kind.in_(sorted(CRM_KINDS)))
    )
    return list(rows.scalars())


#: The conversation events that become syncs, and as what: the ticket or Case at resolve, and
#: the customer's survey answer added to it afterwards.
EVENT_ACTIONS = (
    ("conversation.resolved", "ticket"),  # a second resolve: the ticket's stage, Case's Status
    ("conversation.resolved", "timeline"),  # an event on the HubSpot contact's timeline
    ("conversation.reopened", "status"),  # the ticket's stage or Case's Status follows
    ("survey.submitted", "csat"),
    ("after_hours.callback", "callback"),  # a Salesforce Task to call the customer back
)
#: Actions only some CRMs take (the others never enqueue them).
ACTION_KINDS = {
    "callback": frozenset({"salesforce"}),
    "status": frozenset({"hubspot", "salesforce"}),
    "timeline": frozenset({"hubspot"}),
}
#: Actions that are a second sync of an event another action already keys (the unique key is
#: the connector and the source id, so their source id is derived from the event's).
SECONDARY_ACTIONS = frozenset({"timeline"})
_SECONDARY = uuid.UUID("5b0d3c0e-6d1f-4f55-9a43-1c2f0e8f7a10")


def source_key(event_id: str, action: str) -> str:
    """The sync's source id: the event's own, or (a second action on it) one derived from it."""
    if action in SECONDARY_ACTIONS:
        return str(uuid.uuid5(_SECONDARY, f"{action}:{event_id}"))
    return event_id


def _takes(connector: IntegrationConnector, action: str) -> bool:
    if connector.kind not in ACTION_KINDS.get(action, CRM_KINDS):
        return False
    if action == "timeline":  # only with an event template the operator made in HubSpot
        return bool((connector.settings or {}).get("timeline_event_template_id"))
    return True


async def enqueue_resolved(sessions: async_sessionmaker[AsyncSession]) -> int:
    """One pending sync per resolved conversation (and per survey answer) per CRM connector;
    returns how many new."""
    added = 0
    async with transaction(sessions) as session:
        for connector in await _crm_connectors(session):
            for event_type, action in EVENT_ACTIONS:
                if not _takes(connector, action):
                    continue
                added += await _enqueue_events(session, connector, event_type, action)
    return added


async def _enqueue_events(
    session: AsyncSession, connector: IntegrationConnector, event_type: str, action: str
) -> int:
    # The watermark is per action: customer pushes and erasures are stamped with their own
    # time and must not move the read position of the event log.
    newest = (
        await session.execute(
            select(func.max(IntegrationSync.source_at)).where(
                IntegrationSync.connector_id == connector.id, IntegrationSync.action == action
            )
        )
    ).scalar_one_or_none()
    since = max(connector.created_at, newest - OVERLAP) if newest else connector.created_at
    events = (
        await session.execute(
            select(
                ConversationEvent.id,
                ConversationEvent.created_at,
                ConversationEvent.conversation_id,
            )
            .where(
                ConversationEvent.workspace_id == connector.workspace_id,
                ConversationEvent.type == event_type,
                ConversationEvent.created_at >= since,
            )
            .order_by(ConversationEvent.seq)
            .limit(BATCH)
        )
    ).all()
    if not events:
        return 0
    known = set(
        (
            await session.execute(
                select(IntegrationSync.source_id).where(
                    IntegrationSync.connector_id == connector.id,
                    IntegrationSync.source_id.in_([source_key(e[0], action) for e in events]),
                )
            )
        ).scalars()
    )
    added = 0
    for event_id, at, conversation_id in events:
        if source_key(event_id, action) in known:
            continue
        try:
            async with session.begin_nested():
                session.add(
                    IntegrationSync(
                        id=new_id(),
                        workspace_id=connector.workspace_id,
                        connector_id=connector.id,
                        source_id=source_key(event_id, action),
                        source_at=at,
                        conversation_id=conversation_id,
                        # a secondary action keeps the event's id to read it when sent
                        payload={"event_id": event_id} if action in SECONDARY_ACTIONS else None,
                        action=action,
                        status="pending",
                        attempts=0,
                        next_attempt_at=utcnow(),
                        updated_at=utcnow(),
                    )
                )
            added += 1
        except IntegrityError:
            pass  # another worker enqueued it first
    return added


async def _callback(
    session: AsyncSession, row: IntegrationSync, link_base: str | None
) -> CallbackTask | None:
    """The callback the customer asked for (None: no time in the event, no customer any more,
    or a time long past)."""
    event = (
        (
            await session.execute(
                select(ConversationEvent).where(ConversationEvent.id == row.source_id)
            )
        )
        .scalars()
        .first()
    )
    data: dict[str, Any] = dict(event.data or {}) if event is not None else {}
    at = parse_time(data.get("callback_at"))
    conv = await session.get(Conversation, row.conversation_id) if row.conversation_id else None
    customer = await session.get(Customer, conv.customer_id) if conv is not None else None
    if at is None or customer is None or customer.erased_at is not None:
        return None
    if at < utcnow() - timedelta(days=1):  # long past (a backlog after an outage): no Task
        return None
    return CallbackTask(
        conversation_id=row.conversation_id or "",
        email=customer.email or None,
        customer_name=customer.name or "",
        phone=customer.phone,
        at=at,
        link=f"{link_base.rstrip('/')}/desk?conversation={row.conversation_id}"
        if link_base
        else None,
    )


async def _csat(session: AsyncSession, row: IntegrationSync) -> CsatNote | None:
    """The survey answer and the ticket or Case it goes on (None: not created yet)."""
    event = (
        (
            await session.execute(
                select(ConversationEvent).where(ConversationEvent.id == row.source_id)
            )
        )
        .scalars()
        .first()
    )
    ticket = (
        (
            await session.execute(
                select(IntegrationSync.external_id).where(
                    IntegrationSync.connector_id == row.connector_id,
                    IntegrationSync.conversation_id == row.conversation_id,
                    IntegrationSync.action == "ticket",
                    IntegrationSync.status == "done",
                )
            )
        )
        .scalars()
        .first()
    )
    if ticket is None:
        return None
    data: dict[str, Any] = dict(event.data or {}) if event is not None else {}
    conv = await session.get(Conversation, row.conversation_id) if row.conversation_id else None
    conversation_channel = conv.channel if conv is not None else ""
    return CsatNote(
        ticket_id=ticket,
        rating=int(data["rating"]) if str(data.get("rating") or "").isdigit() else None,
        nps=int(data["nps"]) if str(data.get("nps") or "").isdigit() else None,
        via=str(data.get("via") or conversation_channel),
        at=event.created_at if event is not None else row.source_at,
    )


async def _case(
    session: AsyncSession, row: IntegrationSync, link_base: str | None, *, event_id: str
) -> ResolvedCase:
    event = (
        (await session.execute(select(ConversationEvent).where(ConversationEvent.id == event_id)))
        .scalars()
        .first()
    )
    conv = await session.get(Conversation, row.conversation_id) if row.conversation_id else None
    customer = await session.get(Customer, conv.customer_id) if conv is not None else None
    data: dict[str, Any] = dict(event.data or {}) if event is not None else {}
    return ResolvedCase(
        conversation_id=row.conversation_id or "",
        email=customer.email if customer is not None and not customer.erased_at else None,
        customer_name=customer.name if customer is not None else "",
        channel=conv.channel if conv is not None else "",
        summary=str(data.get("summary") or ""),
        category=data.get("category"),
        intent=(conv.routing or {}).get("intent") if conv is not None else None,
        link=f"{link_base.rstrip('/')}/desk?conversation={row.conversation_id}"
        if link_base
        else None,
    )


@dataclass(frozen=True)
class _Wait:
    """Not sendable yet (what it goes on is still being created): retried after the backoff."""

    reason: str


async def _case_status(
    session: AsyncSession, row: IntegrationSync, settings: dict[str, Any], *, kind: str
) -> CaseStatus | _Wait | None:
    """For a conversation whose ticket or Case an earlier resolve created: the stage or Status
    it gets, as
    the conversation is now (not as it was at the event), so rows sent late or out of order
    still leave the Case as the conversation is. None: no Case for it in this CRM."""
    # "Earlier" by the event log's order, not by time: events may share a timestamp.
    mine = select(ConversationEvent.seq).where(ConversationEvent.id == row.source_id)
    earlier = (
        await session.execute(
            select(IntegrationSync.status, IntegrationSync.external_id)
            .join(ConversationEvent, ConversationEvent.id == IntegrationSync.source_id)
            .where(
                IntegrationSync.connector_id == row.connector_id,
                IntegrationSync.conversation_id == row.conversation_id,
                IntegrationSync.action == "ticket",
                ConversationEvent.seq < mine.scalar_subquery(),
            )
            .order_by(ConversationEvent.seq)
        )
    ).all()
    case_id = next((ext for status, ext in earlier if status == "done" and ext), None)
    if case_id is None:
        if any(status == "pending" for status, _ in earlier):
            return _Wait("the ticket is not created yet")
        return None
    conv = await session.get(Conversation, row.conversation_id) if row.conversation_id else None
    if conv is None:
        return None
    resolved = conv.status == "resolved"
    if kind == "hubspot":
        stage = settings.get("closed_stage") if resolved else settings.get("reopened_stage")
        status = CaseStatus(case_id, str(stage or ("4" if resolved else "1")))
    elif resolved:
        status = CaseStatus(case_id, str(settings.get("case_status") or "Closed"))
    else:
        status = CaseStatus(case_id, str(settings.get("reopened_status") or "Working"))
    if row.action != "ticket":  # a reopen: no summary
        return status
    # resolved again: this resolve's summary goes on the ticket or Case too
    case = await _case(session, row, settings.get("link_base"), event_id=row.source_id)
    if not case.summary.strip():
        return status
    marker = f"hybridcx resolve {row.source_id}"
    note = f"Resolved again (hybridcx):\n{case.description}\n{marker}"
    return dataclasses.replace(status, note=note, marker=marker, at=row.source_at)


async def _timeline(
    session: AsyncSession, row: IntegrationSync, settings: dict[str, Any]
) -> TimelineEntry | None:
    """The resolved conversation for the HubSpot contact's timeline, with the CSAT when the
    customer answered before it is sent (None: no customer email, or no template)."""
    event_id = str((row.payload or {}).get("event_id") or "")
    template = settings.get("timeline_event_template_id")
    case = await _case(session, row, settings.get("link_base"), event_id=event_id)
    if not case.email or not template or not event_id:
        return None
    rating = (
        await session.execute(
            select(ConversationEvent.data)
            .where(
                ConversationEvent.conversation_id == row.conversation_id,
                ConversationEvent.type == "survey.submitted",
                ConversationEvent.created_at >= row.source_at,
            )
            .order_by(ConversationEvent.seq.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    csat = (rating or {}).get("rating")
    tokens = {
        "channel": case.channel,
        "summary": (case.summary.strip() or "(no summary)")[:2000],
        "category": case.category or case.intent or "",
        "csat": f"{csat}/5" if str(csat or "").isdigit() else "",
        "link": case.link or "",
    }
    return TimelineEntry(
        event_id=f"hybridcx-{event_id}",
        template_id=str(template),
        email=case.email,
        tokens={k: v for k, v in tokens.items() if v},  # HubSpot shows an empty token as blank
        at=row.source_at,
    )


async def _push(
    session: AsyncSession, row: IntegrationSync, connector: IntegrationConnector
) -> ContactPush | None:
    """The customer's fields as they are now (a retry sends the newest values), or None when
    there is nothing to send (the customer is gone or erased, no field is hybridcx's)."""
    customer = await session.get(Customer, row.customer_id) if row.customer_id else None
    if customer is None or customer.erased_at is not None or not customer.email:
        return None
    settings = dict(connector.settings or {})
    fields = [f for f in row.fields or [] if rule_of(settings, f) in PUSHED_RULES]
    props = property_names(settings, kind=connector.kind)
    values = outgoing(customer, fields, props, kind=connector.kind)
    if not values:
        return None
    newest = [f for f in fields if rule_of(settings, f) == "newest_wins"]
    return ContactPush(
        email=customer.email,
        values=values,
        newest=frozenset(outgoing(customer, newest, props, kind=connector.kind)),
        changed_at=row.source_at,
    )


#: The syncs that need the customer's contact, and create it when the CRM has none.
CONTACT_ACTIONS = frozenset({"ticket", "contact", "timeline", "callback"})


def crm_identity(connector: IntegrationConnector, contact_id: str) -> str:
    """The value of a customer's ``crm`` identity: the connector's name and the CRM's id."""
    return f"{connector.name}:{contact_id}"


async def _contact_need(
    session: AsyncSession, row: IntegrationSync, connector: IntegrationConnector, job: Any
) -> tuple[ContactSeed | None, str | None]:
    """For a sync that needs the customer's contact: the contact's id when hybridcx keeps it
    (a ``crm`` identity of this connector), else the customer to find or create it from
    (neither: not needed, not allowed, or nothing to make it from)."""
    if row.action not in CONTACT_ACTIONS or job is None or isinstance(job, CaseStatus | _Wait):
        return None, None
    customer_id = row.customer_id
    if customer_id is None and row.conversation_id:
        conv = await session.get(Conversation, row.conversation_id)
        customer_id = conv.customer_id if conv is not None else None
    customer = await session.get(Customer, customer_id) if customer_id else None
    if customer is None or customer.erased_at is not None or not customer.email:
        return None, None
    mine = f"{connector.name}:"
    for identity in await identities.identities_of(session, customer.id):
        if identity.kind == "crm" and identity.value.startswith(mine):
            return None, identity.value[len(mine) :]
    if not (connector.settings or {}).get("create_contacts", True):
        return None, None
    return ContactSeed(customer.id, customer.email, customer.name or "", customer.phone), None


async def _send(
    crm: Any,
    connector: IntegrationConnector,
    row: IntegrationSync,
    job: Any,
    made: tuple[str, bool] | None = None,
) -> tuple[str | None, str]:
    """Send one sync; (the CRM's id, what happened). ``made``: the customer's contact as this
    attempt found or created it."""
    if isinstance(job, _Wait):
        raise BackendUnavailable(connector.name, job.reason)
    if isinstance(job, CaseStatus):  # reopened, or resolved again: the ticket or Case it has
        return await crm.set_case_status(job), f"status {job.status}"
    if row.action == "status":
        return None, "no ticket for this conversation"
    if row.action == "timeline":
        if job is None:
            return None, "nothing to send"
        event = await crm.add_timeline_event(job, made[0] if made else None)
        return event, "created" if event else "no such contact in the CRM"
    if row.action == "ticket":
        ticket = await crm.create_ticket(job, made[0] if made else None)
        return ticket, "created"
    if row.action == "contact":
        if job is None:
            return None, "nothing to send"
        contact = await crm.push_contact(job, made)
        return contact, "updated" if contact else "no such contact in the CRM"
    if row.action == "callback":
        if job is None:
            return None, "nothing to send"
        return await crm.create_callback(job), "created"
    if row.action == "csat":
        if job is None:  # the ticket is not there yet: try again after the backoff
            raise BackendUnavailable(connector.name, "the ticket is not created yet")
        return await crm.add_csat(job), "noted"
    if row.action == "erase":
        if connector.kind == "salesforce":
            extra = tuple(
                property_names(dict(connector.settings or {}), kind="salesforce").values()
            )
            return None, await crm.forget_contact(job, extra)
        return None, await crm.forget_contact(job)
    return None, f"unknown action {row.action}"


async def _job(session: AsyncSession, row: IntegrationSync, connector: IntegrationConnector) -> Any:
    settings = dict(connector.settings or {})
    if row.action in ("ticket", "status") and connector.kind in ACTION_KINDS["status"]:
        # a ticket or Case exists: its stage or Status, not a second one
        status = await _case_status(session, row, settings, kind=connector.kind)
        if status is not None or row.action == "status":
            return status
    if row.action == "ticket":
        return await _case(session, row, settings.get("link_base"), event_id=row.source_id)
    if row.action == "timeline":
        return await _timeline(session, row, settings)
    if row.action == "contact":
        return await _push(session, row, connector)
    if row.action == "csat":
        return await _csat(session, row)
    if row.action == "callback":
        return await _callback(session, row, (connector.settings or {}).get("link_base"))
    return list((row.payload or {}).get("emails") or [])


async def deliver_due(
    sessions: async_sessionmaker[AsyncSession],
    policy: SyncPolicy,
    *,
    now: datetime | None = None,
) -> int:
    """Send the syncs that are due; returns how many were sent. Every attempt is an audit
    entry (``integration.sync_attempt``: the action, the attempt, the outcome, the error)."""
    now = now or utcnow()
    async with sessions() as session:
        due = list(
            (
                await session.execute(
                    select(IntegrationSync.id, IntegrationSync.next_attempt_at)
                    .where(
                        IntegrationSync.status == "pending",
                        IntegrationSync.next_attempt_at <= now,
                    )
                    .order_by(IntegrationSync.next_attempt_at)
                    .limit(BATCH)
                )
            ).all()
        )
    sent = 0
    for sync_id, due_at in due:
        async with transaction(sessions) as session:  # claim it: another worker skips it
            claimed = await session.execute(
                update(IntegrationSync)
                .where(
                    IntegrationSync.id == sync_id,
                    IntegrationSync.status == "pending",
                    IntegrationSync.next_attempt_at == due_at,
                )
                .values(next_attempt_at=now + LEASE)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                continue
            row = await session.get(IntegrationSync, sync_id)
            connector = await session.get(IntegrationConnector, row.connector_id) if row else None
            if row is None or connector is None:
                continue
            job = await _job(session, row, connector)
            seed, known = await _contact_need(session, row, connector, job)
            settings, secrets = dict(connector.settings or {}), dict(connector.secrets or {})
        external_id: str | None = None
        outcome, error = "", None
        made: tuple[str, bool] | None = (known, False) if known else None
        try:
            crm = kind(connector.kind).build(connector.name, settings, secrets)
            try:
                if seed is not None:
                    made = await crm.ensure_contact(seed)
                external_id, outcome = await _send(crm, connector, row, job, made)
                if made is not None and made[1]:
                    outcome = f"contact {made[0]} created; {outcome}"
            finally:
                await crm.aclose()
        except BackendUnavailable as exc:
            error = exc.detail
        async with transaction(sessions) as session:
            if seed is not None and made is not None:  # kept even when the rest failed
                await _remember_contact(session, connector, seed.customer_id, made[0])
            if await _record(session, sync_id, connector, policy, now, external_id, outcome, error):
                sent += 1
    return sent


async def _remember_contact(
    session: AsyncSession, connector: IntegrationConnector, customer_id: str, contact_id: str
) -> None:
    """The CRM's id for the customer, as a verified ``crm`` identity (once)."""
    value = crm_identity(connector, contact_id)
    value_hash = identities.blind(session, "crm", value)
    have = await session.execute(
        select(CustomerIdentity.id).where(
            CustomerIdentity.customer_id == customer_id,
            CustomerIdentity.kind == "crm",
            CustomerIdentity.value_hash == value_hash,
        )
    )
    if have.first() is not None or await session.get(Customer, customer_id) is None:
        return
    session.add(
        CustomerIdentity(
            id=new_id(),
            workspace_id=connector.workspace_id,
            customer_id=customer_id,
            kind="crm",
            value=value,
            value_hash=value_hash,
            verified=True,
            source=f"crm:{connector.name}"[:64],
        )
    )


async def _record(
    session: AsyncSession,
    sync_id: str,
    connector: IntegrationConnector,
    policy: SyncPolicy,
    now: datetime,
    external_id: str | None,
    outcome: str,
    error: str | None,
) -> bool:
    row = await session.get(IntegrationSync, sync_id)
    if row is None:
        return False
    row.attempts += 1
    row.updated_at = now
    ok = error is None
    if ok:
        row.status, row.external_id, row.last_error = "done", external_id, None
        row.payload = None  # an erasure's emails are not kept once the CRM has them
    else:
        row.last_error = (error or "failed")[:500]
        if row.attempts >= policy.max_attempts:
            row.status = "dead"
        else:
            row.next_attempt_at = now + policy.delay(row.attempts)
    audit(
        session,
        action="integration.sync_attempt",
        actor_type="integration",
        actor_id=connector.name,
        workspace_id=connector.workspace_id,
        target_type="integration_sync",
        target_id=row.id,
        details={
            "action": row.action,
            "attempt": row.attempts,
            "ok": ok,
            "status": row.status,
            "outcome": outcome if ok else None,
            "error": row.last_error if not ok else None,
            "next_attempt_at": iso(row.next_attempt_at) if row.status == "pending" else None,
        },
    )
    log.info(
        "integration.sync",
        connector=connector.name,
        action=row.action,
        sync_id=row.id,
        status=row.status,
        attempts=row.attempts,
        error=row.last_error,
    )
    return ok


class SyncWorker:
    """The background loop (started in the server's lifespan)."""

    def __init__(self, runtime: Any, *, poll_seconds: float, policy: SyncPolicy | None = None):
        self.runtime = runtime
        self.poll_seconds = poll_seconds
        self.policy = policy or SyncPolicy()
        self._task: asyncio.Task[None] | None = None

    async def run_once(self, *, now: datetime | None = None) -> int:
        """One round: enqueue resolved conversations, send what is due, poll inbound changes;
        returns how many syncs were sent."""
        await enqueue_resolved(self.runtime.sessions)
        sent = await deliver_due(self.runtime.sessions, self.policy, now=now)
        await poll_salesforce(self.runtime.sessions, now=now)  # inbound, by cursor
        return sent

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception as exc:  # a bad round must not end the loop
                reraise_if_cancelled(exc)
                log.warning("integration.sync_round_failed", error=type(exc).__name__)
            await asyncio.sleep(self.poll_seconds)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
