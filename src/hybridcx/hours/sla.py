"""SLA policies and clocks.

A conversation queued for a person gets the most specific matching policy (tier, channel, VIP)
and a first-response clock from the handoff. A public agent reply stops it (met or not); the
clock then pauses while the team waits on the customer, and the customer's next message starts
a next-response clock. Deadlines count business hours when the policy says so (the
conversation's calendar: its team's, else the workspace's).

``advance`` is the pure part: it takes the clock, the messages since it last looked and the
time, and returns the new clock and the events to record. ``sla_sweep`` runs it over open
conversations (the server runs it every few seconds), records ``sla.warning``,
``sla.breached`` and ``sla.completed`` conversation events (the breach and warning also go to
the staff WebSocket and to webhooks) and keeps ``conversations.sla`` current for the desk.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.conversations import repository as repo
from hybridcx.hours.calendar import Calendar
from hybridcx.kit.db import transaction
from hybridcx.kit.events import QueueUpdated, SlaAlert
from hybridcx.kit.ids import utcnow
from hybridcx.kit.outbox import Outbox
from hybridcx.kit.tasks import reraise_if_cancelled
from hybridcx.kit.time import iso
from hybridcx.models import Conversation, Customer, Message, SlaPolicy

if TYPE_CHECKING:
    from hybridcx.hours.deps import SlaDeps

log = structlog.get_logger(__name__)
SWEEP_BATCH = 500


def parse(value: str | None) -> datetime | None:
    if not value:
        return None
    return _naive(datetime.fromisoformat(value.replace("Z", "+00:00")))


def _naive(at: datetime) -> datetime:
    from datetime import UTC

    return at if at.tzinfo is None else at.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class PolicyTerms:
    id: str
    name: str
    tier: int | None
    channel: str | None
    vip: bool | None
    first_response_seconds: int
    next_response_seconds: int | None
    warn_before_seconds: int
    business_hours: bool

    @classmethod
    def of(cls, row: SlaPolicy) -> PolicyTerms:
        return cls(
            id=row.id,
            name=row.name,
            tier=row.tier,
            channel=row.channel,
            vip=row.vip,
            first_response_seconds=row.first_response_seconds,
            next_response_seconds=row.next_response_seconds,
            warn_before_seconds=row.warn_before_seconds,
            business_hours=row.business_hours,
        )

    def matches(self, *, tier: int, channel: str, vip: bool) -> bool:
        return (
            (self.tier is None or self.tier == tier)
            and (self.channel is None or self.channel == channel)
            and (self.vip is None or self.vip == vip)
        )

    @property
    def specificity(self) -> int:
        return sum(x is not None for x in (self.tier, self.channel, self.vip))


def match_policy(
    policies: Iterable[PolicyTerms], *, tier: int, channel: str, vip: bool
) -> PolicyTerms | None:
    """The most specific matching policy; among equals, the first listed."""
    best: PolicyTerms | None = None
    for p in policies:
        if p.matches(tier=tier, channel=channel, vip=vip) and (
            best is None or p.specificity > best.specificity
        ):
            best = p
    return best


Deadline = Callable[[datetime, int], datetime | None]


def deadline_for(policy: PolicyTerms, calendar: Calendar) -> Deadline:
    if policy.business_hours:
        return lambda start, seconds: calendar.add_business_seconds(start, seconds)
    return lambda start, seconds: start + timedelta(seconds=seconds)


def running(
    kind: str, start: datetime, seconds: int, policy: PolicyTerms, deadline: Deadline
) -> dict[str, Any]:
    due = deadline(start, seconds)
    warn = max(start, due - timedelta(seconds=policy.warn_before_seconds)) if due else None
    return {
        "policy_id": policy.id,
        "policy": policy.name,
        "kind": kind,
        "state": "running",
        "target_seconds": seconds,
        "started_at": iso(start),
        "due_at": iso(due) if due else None,
        "warn_at": iso(warn) if warn else None,
        "warned": False,
        "breached": False,
    }


def start_clock(policy: PolicyTerms, calendar: Calendar, queued_at: datetime) -> dict[str, Any]:
    clock = running(
        "first", queued_at, policy.first_response_seconds, policy, deadline_for(policy, calendar)
    )
    clock["seen_seq"] = 0
    return clock


def advance(
    clock: dict[str, Any],
    messages: Sequence[tuple[int, str, datetime]],
    now: datetime,
    policy: PolicyTerms,
    calendar: Calendar,
) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    """Move the clock over the public ``(seq, author, created_at)`` messages after
    ``clock["seen_seq"]`` (in order) and up to ``now``. Returns the new clock and the events
    (``sla.completed``, ``sla.warning``, ``sla.breached``) with their data."""
    clock = dict(clock)
    deadline = deadline_for(policy, calendar)
    events: list[tuple[str, dict[str, Any]]] = []
    started = parse(clock.get("started_at"))
    for seq, author, at in messages:
        clock["seen_seq"] = max(int(clock.get("seen_seq") or 0), seq)
        if clock["state"] == "running" and author == "agent" and (started is None or at >= started):
            due = parse(clock.get("due_at"))
            # A breach already recorded stands (the sweep saw the deadline pass first).
            met = not clock["breached"] and (due is None or at <= due)
            if not met and not clock["breached"]:
                events.append(("sla.breached", _data(clock, at=clock["due_at"])))
            events.append(
                (
                    "sla.completed",
                    {
                        **_data(clock, at=iso(at)),
                        "met": met,
                        "response_seconds": (
                            calendar.business_seconds(started, at)
                            if policy.business_hours
                            else (at - started).total_seconds()
                        )
                        if started
                        else None,
                    },
                )
            )
            clock.update(state="paused", since=iso(at), due_at=None, warn_at=None)
        elif clock["state"] == "paused" and author == "customer" and policy.next_response_seconds:
            seen = clock["seen_seq"]
            clock = running("next", at, policy.next_response_seconds, policy, deadline)
            clock["seen_seq"] = seen
            started = at
    if clock["state"] == "running":
        due, warn = parse(clock.get("due_at")), parse(clock.get("warn_at"))
        if due is not None and now >= due and not clock["breached"]:
            clock["breached"] = True
            events.append(("sla.breached", _data(clock, at=clock["due_at"])))
        elif warn is not None and now >= warn and not clock["warned"] and not clock["breached"]:
            clock["warned"] = True
            events.append(("sla.warning", _data(clock, at=iso(now))))
    return clock, events


def _data(clock: dict[str, Any], *, at: str | None) -> dict[str, Any]:
    return {
        "policy": clock.get("policy"),
        "kind": clock.get("kind"),
        "started_at": clock.get("started_at"),
        "due_at": clock.get("due_at"),
        "at": at,
    }


# ---- database side -----------------------------------------------------------------------------


async def policies_of(session: AsyncSession, workspace_id: str) -> list[SlaPolicy]:
    stmt = (
        select(SlaPolicy)
        .where(SlaPolicy.workspace_id == workspace_id)
        .order_by(SlaPolicy.position, SlaPolicy.created_at)
    )
    return list((await session.execute(stmt)).scalars().all())


async def start_for(
    session: AsyncSession, conv: Conversation, customer: Customer, calendar: Calendar
) -> None:
    """The conversation was just queued: start its first-response clock (when a policy
    matches and no clock runs yet: a requeue keeps the clock it has)."""
    if conv.sla and conv.sla.get("state") in ("running", "paused"):
        return
    terms = [PolicyTerms.of(p) for p in await policies_of(session, conv.workspace_id)]
    policy = match_policy(terms, tier=conv.tier, channel=conv.channel, vip=customer.vip)
    if policy is None:
        return
    conv.sla = start_clock(policy, calendar, conv.queued_at or utcnow())


async def sla_sweep(rt: SlaDeps, *, now: datetime | None = None) -> int:
    """Advance the clocks of open conversations; returns how many events it recorded."""
    from hybridcx.hours.service import calendar_for

    now = now or utcnow()
    async with rt.sessions() as session:
        rows = (
            await session.execute(
                select(Conversation.id, Conversation.workspace_id, Conversation.sla)
                .where(Conversation.status.in_(("queued", "assigned")))
                .limit(SWEEP_BATCH)
            )
        ).all()
        rows = [r for r in rows if r[2] and r[2].get("state") in ("running", "paused")]
        # Most clocks have nothing to do on most sweeps: no new message and no deadline passed.
        # Two statements for the whole batch find them, so that only the others take a write
        # transaction (the queue can hold thousands, and every process sweeps).
        newest = await _newest_public_seqs(session, [r[0] for r in rows])
        policies = set((await session.execute(select(SlaPolicy.id, SlaPolicy.workspace_id))).all())
    recorded = 0
    for conversation_id, workspace_id, clock in rows:
        if (clock.get("policy_id"), workspace_id) in policies and not _due(
            clock, newest.get(conversation_id), now
        ):
            continue
        outbox = Outbox()
        async with transaction(rt.sessions) as session:
            conv = await repo.get_conversation(session, conversation_id, lock=True)
            if conv is None or not conv.sla or conv.status not in ("queued", "assigned"):
                continue
            row = await session.get(SlaPolicy, conv.sla.get("policy_id"))
            if row is None or row.workspace_id != conv.workspace_id:
                conv.sla = {**conv.sla, "state": "stopped"}  # its policy was removed
                continue
            calendar = await calendar_for(session, conv.workspace_id, conv.team)
            messages = await _messages_after(session, conv.id, int(conv.sla.get("seen_seq") or 0))
            new, events = advance(conv.sla, messages, now, PolicyTerms.of(row), calendar)
            if new == conv.sla:
                continue
            conv.sla = new
            customer = await repo.get_customer(session, conv.customer_id)
            for type_, data in events:
                data = {
                    **data,
                    "tier": conv.tier,
                    "channel": conv.channel,
                    "team": conv.team,
                    "vip": customer.vip,
                }
                repo.add_event(session, conv, type_, actor="system", data=data)
                if type_ in ("sla.warning", "sla.breached"):
                    outbox.emit(
                        SlaAlert(
                            conv.workspace_id,
                            kind=type_,
                            conversation_id=conv.id,
                            sla=dict(new),
                            data=data,
                        )
                    )
            recorded += len(events)
            if events:
                outbox.emit(QueueUpdated(conv.workspace_id))
        await outbox.flush(rt)
    return recorded


def _due(clock: dict[str, Any], newest_seq: int | None, now: datetime) -> bool:
    """Whether ``advance`` could change this clock now: a public message it has not seen, or
    a deadline or warning time passed that it has not recorded."""
    if newest_seq is not None and newest_seq > int(clock.get("seen_seq") or 0):
        return True
    if clock.get("state") != "running" or clock.get("breached"):
        return False
    due, warn = parse(clock.get("due_at")), parse(clock.get("warn_at"))
    return (due is not None and now >= due) or (
        warn is not None and now >= warn and not clock.get("warned")
    )


async def _newest_public_seqs(session: AsyncSession, conversation_ids: list[str]) -> dict[str, int]:
    """The newest public agent or customer message of each conversation (what ``advance``
    reads), as its ``seq``."""
    if not conversation_ids:
        return {}
    stmt = (
        select(Message.conversation_id, func.max(Message.seq))
        .where(
            Message.conversation_id.in_(conversation_ids),
            Message.internal.is_(False),
            Message.author.in_(("agent", "customer")),
        )
        .group_by(Message.conversation_id)
    )
    return {cid: int(seq) for cid, seq in (await session.execute(stmt)).all()}


async def _messages_after(
    session: AsyncSession, conversation_id: str, seq: int
) -> list[tuple[int, str, datetime]]:
    stmt = (
        select(Message.seq, Message.author, Message.created_at)
        .where(
            Message.conversation_id == conversation_id,
            Message.seq > seq,
            Message.internal.is_(False),
            Message.author.in_(("agent", "customer")),
        )
        .order_by(Message.seq)
    )
    return [(s, a, c) for s, a, c in (await session.execute(stmt)).all()]


async def sla_loop(rt: SlaDeps, interval_seconds: float) -> None:
    """Every ``interval_seconds``, advance the SLA clocks (the server runs this)."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            await sla_sweep(rt)
        except Exception as exc:  # never let the sweep take the server down
            reraise_if_cancelled(exc)
            log.warning("hours.sla_sweep_failed", error=str(exc))


def attainment_of(events: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """Attainment (met / timed responses) overall and by tier, channel and team, and breach
    counts, from ``sla.completed`` and ``sla.breached`` event data."""

    def bucket() -> dict[str, Any]:
        return {"responses": 0, "met": 0, "breaches": 0}

    overall = bucket()
    groups: dict[str, dict[str, dict[str, Any]]] = {"tier": {}, "channel": {}, "team": {}}
    for type_, data in events:
        keys = {
            "tier": str(data.get("tier")),
            "channel": str(data.get("channel")),
            "team": data.get("team") or "(none)",
        }
        targets = [overall] + [groups[g].setdefault(k, bucket()) for g, k in keys.items()]
        for b in targets:
            if type_ == "sla.completed":
                b["responses"] += 1
                b["met"] += 1 if data.get("met") else 0
            elif type_ == "sla.breached":
                b["breaches"] += 1

    def done(b: dict[str, Any]) -> dict[str, Any]:
        return {**b, "attainment": round(b["met"] / b["responses"], 4) if b["responses"] else None}

    return {
        "overall": done(overall),
        **{
            f"by_{g}": {k: done(b) for k, b in sorted(items.items())} for g, items in groups.items()
        },
    }


def sla_view(clock: dict[str, Any] | None, now: datetime | None = None) -> dict[str, Any] | None:
    """The clock as the desk shows it: with the seconds left until the deadline and the warning
    (negative once past), computed on the server's clock."""
    if not clock:
        return None
    now = now or utcnow()
    due, warn = parse(clock.get("due_at")), parse(clock.get("warn_at"))
    running = clock.get("state") == "running"
    view = {k: v for k, v in clock.items() if k not in ("seen_seq", "policy_id")}
    view["remaining_seconds"] = round((due - now).total_seconds()) if running and due else None
    view["warn_in_seconds"] = round((warn - now).total_seconds()) if running and warn else None
    return view
