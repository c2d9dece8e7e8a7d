"""Business hours at work: which calendar serves a conversation, what a customer is
told when queued (the expected wait while open, the next opening and a choice while closed),
the customer's after-hours choice, and the idle-close sweep (with reopening).

``conversations.turns`` calls ``on_queued`` once, when a turn queues a conversation, and
``reopen_if_idle_closed`` when a customer writes to a resolved one; nothing else of this
module is on the message path.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx.conversations import repository as repo
from hybridcx.conversations.schemas import conversation_state, message_read
from hybridcx.hours import sla
from hybridcx.hours.calendar import Calendar, describe
from hybridcx.integrations.outbound import enqueue_customer_push
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import Conflict, InvalidInput, NotFound
from hybridcx.kit.events import (
    ConversationResolved,
    ConversationUpdated,
    MessageCreated,
    QueueUpdated,
)
from hybridcx.kit.ids import utcnow
from hybridcx.kit.outbox import Outbox
from hybridcx.kit.tasks import reraise_if_cancelled
from hybridcx.kit.time import iso
from hybridcx.models import (
    BusinessHours,
    Conversation,
    ConversationEvent,
    Customer,
    Message,
    SlaPolicy,
)
from hybridcx.queue.service import online_candidates, queue_position

if TYPE_CHECKING:
    from hybridcx.hours.deps import HoursDeps

log = structlog.get_logger(__name__)

# The average handle time the wait estimate assumes for one conversation (seconds).
ASSUMED_HANDLE_SECONDS = 360
IDLE_SWEEP_BATCH = 200


# ---- calendars -----------------------------------------------------------------------------


def calendar_of(row: BusinessHours | None) -> Calendar:
    if row is None:
        return Calendar()
    return Calendar.from_config(row.timezone, row.weekly or {}, row.exceptions or [])


async def hours_rows(session: AsyncSession, workspace_id: str) -> list[BusinessHours]:
    stmt = (
        select(BusinessHours)
        .where(BusinessHours.workspace_id == workspace_id)
        .order_by(BusinessHours.team)
    )
    return list((await session.execute(stmt)).scalars().all())


async def hours_row(
    session: AsyncSession, workspace_id: str, team: str = ""
) -> BusinessHours | None:
    stmt = select(BusinessHours).where(
        BusinessHours.workspace_id == workspace_id, BusinessHours.team == team
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def calendar_for(session: AsyncSession, workspace_id: str, team: str | None) -> Calendar:
    """The team's calendar when it has one, else the workspace's, else always open."""
    row = await hours_row(session, workspace_id, team) if team else None
    if row is None:
        row = await hours_row(session, workspace_id, "")
    return calendar_of(row)


async def save_hours(
    session: AsyncSession,
    workspace_id: str,
    team: str,
    *,
    timezone: str,
    weekly: dict[str, Any],
    exceptions: list[Any],
    idle_close_minutes: int | None = None,
) -> tuple[BusinessHours, bool]:
    """Create or replace the hours of the workspace (``team`` "", with its idle-close time)
    or of one team. Returns the row and whether it was created."""
    row = await hours_row(session, workspace_id, team)
    created = row is None
    if row is None:
        row = BusinessHours(workspace_id=workspace_id, team=team)
        session.add(row)
    row.timezone = timezone
    row.weekly = weekly
    row.exceptions = exceptions
    row.updated_at = utcnow()
    if not team:
        row.idle_close_minutes = idle_close_minutes
    await session.flush()
    return row, created


async def delete_team_hours(session: AsyncSession, workspace_id: str, team: str) -> BusinessHours:
    """The team follows the workspace's hours again; 404 when it has none of its own."""
    row = await hours_row(session, workspace_id, team)
    if row is None:
        raise NotFound(f"Team {team!r} has no hours of its own.")
    await session.delete(row)
    return row


async def replace_sla_policies(
    session: AsyncSession, workspace_id: str, policies: list[dict[str, Any]]
) -> tuple[int, list[SlaPolicy]]:
    """Replace the workspace's SLA policies (given in minutes, in order). Returns how many
    there were before and the new rows."""
    old = await sla.policies_of(session, workspace_id)
    for row in old:
        await session.delete(row)
    rows = [
        SlaPolicy(
            workspace_id=workspace_id,
            name=p["name"],
            position=i,
            tier=p["tier"],
            channel=p["channel"],
            vip=p["vip"],
            first_response_seconds=round(p["first_response_minutes"] * 60),
            next_response_seconds=round(p["next_response_minutes"] * 60)
            if p["next_response_minutes"]
            else None,
            warn_before_seconds=round(p["warn_before_minutes"] * 60),
            business_hours=p["business_hours"],
        )
        for i, p in enumerate(policies)
    ]
    session.add_all(rows)
    await session.flush()
    return len(old), rows


async def sla_events(
    session: AsyncSession, workspace_id: str, start: datetime, end: datetime
) -> list[tuple[str, dict[str, Any]]]:
    """The workspace's SLA outcomes (``sla.completed``, ``sla.breached``) in [start, end)."""
    stmt = select(ConversationEvent.type, ConversationEvent.data).where(
        ConversationEvent.workspace_id == workspace_id,
        ConversationEvent.type.in_(("sla.completed", "sla.breached")),
        ConversationEvent.created_at >= start,
        ConversationEvent.created_at < end,
    )
    return [(t, d or {}) for t, d in (await session.execute(stmt)).all()]


# ---- the expected wait -----------------------------------------------------------------------


@dataclass(frozen=True)
class Staffing:
    agents: int  # online and available
    free_slots: int  # conversations they can take now
    total_slots: int  # their combined capacity


def expected_wait_seconds(position: int, staffing: Staffing, aht: float) -> float | None:
    """Seconds until a person takes the conversation at ``position`` (1 = next): at once when
    a free slot waits for it; else the conversations ahead of it finish at the staffed
    capacity's pace (``total_slots / aht`` per second). None when nobody is staffed."""
    if staffing.agents <= 0 or staffing.total_slots <= 0:
        return None
    ahead = position - staffing.free_slots
    if ahead <= 0:
        return 0.0
    return ahead * aht / staffing.total_slots


def wait_text(position: int | None, wait: float | None) -> str:
    """What a customer is told when queued while the team is open."""
    place = f" You're number {position} in line." if position and position > 1 else ""
    if wait is None:
        return (
            "Everyone on our team is busy or away from their desk right now, so we can't "
            f"promise a time yet; your conversation stays in the queue.{place} Everything you "
            "write here will be seen by the person who picks it up."
        )
    if wait < 60:
        return f"A member of our team should be with you in about a minute.{place}"
    minutes = max(2, math.ceil(wait / 60))
    if minutes >= 90:
        hours = round(minutes / 60)
        return f"The expected wait for a member of our team is about {hours} hours.{place}"
    return f"The expected wait for a member of our team is about {minutes} minutes.{place}"


async def staffing_now(rt: HoursDeps, session: AsyncSession, workspace_id: str) -> Staffing:
    candidates = await online_candidates(
        session, workspace_id, presence_timeout_seconds=rt.presence_timeout_seconds
    )
    return Staffing(
        agents=len(candidates),
        free_slots=sum(max(0, c.capacity - c.load) for c in candidates),
        total_slots=sum(max(0, c.capacity) for c in candidates),
    )


# ---- queueing ----------------------------------------------------------------------------------


def after_hours_text(next_open: datetime | None, timezone: str, channel: str) -> str:
    when = (
        f"We're back {describe(next_open, timezone)}."
        if next_open is not None
        else "We don't have a reopening time set yet."
    )
    if channel == "webchat":
        choice = (
            "I can keep helping with anything I can handle myself. If you need a person, you can "
            "leave a message and we'll follow up by email or text, or ask us to call you back at "
            "a time that suits you: choose below."
        )
    elif channel == "voice":  # the call offers the choice next (channels/twilio/voice_after_hours)
        choice = "You can leave a message for the first person in, or ask us to call you back."
    else:
        choice = (
            "Leave your message here and the first person in will follow up; I can keep helping "
            "with anything I can handle myself."
        )
    return f"Our team is away right now. {when} {choice}"


async def on_queued(
    rt: HoursDeps, session: AsyncSession, conv: Conversation, customer: Customer
) -> list[Message]:
    """A turn has just queued ``conv``: tell the customer honestly when a person will come.
    While closed, the conversation is flagged ``after_hours`` for the next shift. Returns the
    messages it added (the caller sends them with the turn's)."""
    now = utcnow()
    calendar = await calendar_for(session, conv.workspace_id, conv.team)
    await sla.start_for(session, conv, customer, calendar)
    if not calendar.is_open(now):
        next_open = calendar.next_opening(now)
        conv.after_hours = {
            "queued_at": iso(now),
            "next_open": iso(next_open) if next_open else None,
            "timezone": calendar.timezone,
            "choice": "message" if conv.channel != "webchat" else None,
            "contact": conv.channel if conv.channel != "webchat" else None,
        }
        repo.add_event(
            session,
            conv,
            "conversation.after_hours",
            actor="system",
            data={"next_open": conv.after_hours["next_open"]},
        )
        text = after_hours_text(next_open, calendar.timezone, conv.channel)
        return [repo.add_message(session, conv, author="system", text=text)]
    slug = await repo.workspace_slug(session, conv.workspace_id)
    position = await queue_position(session, conv, rt.policies.policy(slug).queue)
    staffed = await staffing_now(rt, session, conv.workspace_id)
    wait = expected_wait_seconds(position or 1, staffed, ASSUMED_HANDLE_SECONDS)
    return [repo.add_message(session, conv, author="system", text=wait_text(position, wait))]


# ---- the customer's after-hours choice -----------------------------------------------------------


async def record_choice(
    rt: HoursDeps,
    conv: Conversation,
    *,
    choice: str,
    callback_at: datetime | None,
    phone: str | None,
) -> dict[str, Any]:
    """Leave a message (follow-up by email, else SMS) or request a callback at a time the team
    is open. ``conv`` is the customer's own (checked by the caller)."""
    from hybridcx.kit.normalize import to_e164

    outbox = Outbox()
    async with transaction(rt.sessions) as session:
        conv_row = await repo.get_conversation(session, conv.id, lock=True)
        assert conv_row is not None
        conv = conv_row
        if not conv.after_hours or conv.status != "queued":
            raise Conflict("This conversation is not waiting for the team to open.")
        customer = await repo.get_customer(session, conv.customer_id)
        calendar = await calendar_for(session, conv.workspace_id, conv.team)
        state = dict(conv.after_hours)
        now = utcnow()
        if choice == "message":
            if customer.email:
                contact = "email"
            elif customer.phone:
                contact = "sms"
            else:
                raise InvalidInput(
                    "We have no email address or phone number to follow up on: "
                    "request a callback with a phone number instead."
                )
            state.update(choice="message", contact=contact, callback_at=None)
            text = (
                "Thanks: your message is with our team, and the first person in will follow up "
                f"by {'email' if contact == 'email' else 'text message'}. "
                "You can add anything else here."
            )
        else:
            if callback_at is None:
                raise InvalidInput("A callback needs callback_at, the time to call you.")
            at = _naive_utc(callback_at)
            if at <= now:
                raise InvalidInput("callback_at is in the past: choose a later time.")
            if at > now + timedelta(days=60):
                raise InvalidInput("callback_at is more than 60 days ahead.")
            if not calendar.is_open(at):
                nxt = calendar.next_opening(at)
                hint = (
                    f" The next opening after it is {describe(nxt, calendar.timezone)}."
                    if nxt
                    else ""
                )
                raise InvalidInput(f"Our team is closed at that time.{hint}")
            number = to_e164(phone) if phone else customer.phone
            if phone and number is None:
                raise InvalidInput(f"{phone!r} is not a phone number we can call.")
            if not number:
                raise InvalidInput("A callback needs a phone number.")
            if number != customer.phone:
                customer.phone = number
                # the CRM gets the number (its rules permitting), committed with the callback
                await enqueue_customer_push(session, conv.workspace_id, customer.id, ["phone"])
            state.update(choice="callback", contact="phone", callback_at=iso(at))
            text = (
                f"Thanks: we'll call you back {describe(at, calendar.timezone)}. "
                "You can add anything else here."
            )
        conv.after_hours = state
        conv.updated_at = now
        repo.add_event(
            session,
            conv,
            f"after_hours.{state['choice']}",
            actor="customer",
            actor_id=conv.customer_id,
            data={"contact": state["contact"], "callback_at": state.get("callback_at")},
        )
        msg = repo.add_message(session, conv, author="system", text=text)
        await session.flush()
        position = await queue_position(
            session,
            conv,
            rt.policies.policy(await repo.workspace_slug(session, conv.workspace_id)).queue,
        )
        read = conversation_state(conv, queue_position=position)
        outbox.emit(MessageCreated(conv.workspace_id, conv.id, message=message_read(msg)))
        outbox.emit(ConversationUpdated(conv.workspace_id, conv.id, conversation=read))
        outbox.emit(QueueUpdated(conv.workspace_id))
    await outbox.flush(rt)
    return {"after_hours": state, "message": message_read(msg), "conversation": read}


def _naive_utc(t: datetime) -> datetime:
    from datetime import UTC

    return t if t.tzinfo is None else t.astimezone(UTC).replace(tzinfo=None)


# ---- idle close ----------------------------------------------------------------------------------

IDLE_NOTICE = (
    "We've closed this conversation because we haven't heard from you for a while. "
    "If you still need help, just write here and it will reopen."
)


async def idle_sweep(rt: HoursDeps, *, now: datetime | None = None) -> int:
    """Close conversations left waiting on the customer longer than their workspace allows
    (the last visible message is not the customer's). Returns how many it closed."""
    now = now or utcnow()
    closed = 0
    async with rt.sessions() as session:
        settings = (
            await session.execute(
                select(BusinessHours.workspace_id, BusinessHours.idle_close_minutes).where(
                    BusinessHours.team == "", BusinessHours.idle_close_minutes.is_not(None)
                )
            )
        ).all()
    for workspace_id, minutes in settings:
        if not minutes or minutes <= 0:
            continue
        cutoff = now - timedelta(minutes=minutes)
        async with rt.sessions() as session:
            ids = (
                (
                    await session.execute(
                        select(Conversation.id)
                        .where(
                            and_(
                                Conversation.workspace_id == workspace_id,
                                Conversation.status.in_(("bot", "assigned")),
                                Conversation.updated_at < cutoff,
                            )
                        )
                        .order_by(Conversation.updated_at)
                        .limit(IDLE_SWEEP_BATCH)
                    )
                )
                .scalars()
                .all()
            )
        for conversation_id in ids:
            if await _close_if_idle(rt, conversation_id, cutoff=cutoff, minutes=minutes, now=now):
                closed += 1
    return closed


async def _close_if_idle(
    rt: HoursDeps, conversation_id: str, *, cutoff: datetime, minutes: int, now: datetime
) -> bool:
    outbox = Outbox()
    async with transaction(rt.sessions) as session:
        conv = await repo.get_conversation(session, conversation_id, lock=True)
        if conv is None or conv.status not in ("bot", "assigned") or conv.updated_at >= cutoff:
            return False
        last = await _last_visible(session, conv.id)
        if last is None or last.author == "customer" or last.created_at >= cutoff:
            return False  # the team owes the customer an answer, or nothing was said yet
        agent_id = conv.assigned_agent_id
        conv.status, conv.resolved_at, conv.idle_closed_at, conv.updated_at = (
            "resolved",
            now,
            now,
            now,
        )
        repo.add_event(
            session,
            conv,
            "conversation.resolved",
            actor="system",
            data={"agent_id": agent_id, "reason": "idle", "idle_minutes": minutes},
        )
        msg = repo.add_message(session, conv, author="system", text=IDLE_NOTICE)
        if agent_id:
            agent = await repo.get_agent(session, agent_id, workspace_id=conv.workspace_id)
            if agent is not None:
                agent.idle_since = now
        await session.flush()
        state = conversation_state(conv)
        outbox.emit(MessageCreated(conv.workspace_id, conv.id, message=message_read(msg)))
        outbox.emit(
            ConversationUpdated(conv.workspace_id, conv.id, to_staff=False, conversation=state)
        )
        outbox.emit(ConversationResolved(conv.workspace_id, conversation=state))
    await outbox.flush(rt)
    log.info("conversation.idle_closed", conversation_id=conversation_id, minutes=minutes)
    return True


async def _last_visible(session: AsyncSession, conversation_id: str) -> Message | None:
    stmt = (
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.internal.is_(False))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def reopen_if_idle_closed(session: AsyncSession, conv: Conversation) -> bool:
    """A customer writes to a conversation the idle sweep closed: it reopens with the AI (which
    brings a person back in as usual). Other resolved conversations stay closed."""
    if conv.status != "resolved" or conv.idle_closed_at is None:
        return False
    conv.status, conv.resolved_at, conv.assigned_agent_id = "bot", None, None
    conv.idle_closed_at = None
    conv.after_hours = None
    conv.sla = None  # a new handoff starts a new clock
    repo.add_event(session, conv, "conversation.reopened", actor="customer", data={"after": "idle"})
    return True


async def idle_loop(rt: HoursDeps, interval_seconds: float) -> None:
    """Every ``interval_seconds``, close idle conversations (the server runs this)."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            await idle_sweep(rt)
        except Exception as exc:  # never let the sweep take the server down
            reraise_if_cancelled(exc)
            log.warning("hours.idle_sweep_failed", error=str(exc))
