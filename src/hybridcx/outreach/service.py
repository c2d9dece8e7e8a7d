"""Campaigns: who a signal finds, who of them may be told (consent, opt-out, quiet hours,
frequency cap, approval of large sends), and the notice itself.

A notice is the first message of a new conversation on its channel (SMS or email), written by
the system and sent through the channel's adapter (a ``MessageToSend`` event, kit.events), with
the outreach's context on the conversation (``channel_meta.outreach`` and ``ai_state.outreach``).
The customer's reply lands in that conversation (the SMS sender's open thread, the email's
References), so the AI or an agent picks up knowing why we wrote.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hybridcx import audit
from hybridcx.conversations import repository as repo
from hybridcx.conversations.schemas import message_read
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import Conflict, InvalidInput, NotFound
from hybridcx.kit.events import MessageToSend
from hybridcx.kit.ids import hash_token, new_id, new_token, utcnow
from hybridcx.kit.sealed import session_keyring
from hybridcx.kit.time import iso
from hybridcx.models import (
    Conversation,
    Customer,
    Inbox,
    Message,
    OutreachCampaign,
    OutreachSend,
)
from hybridcx.outreach.deps import OutreachDeps
from hybridcx.outreach.signals import SIGNALS, Hit, evaluate
from hybridcx.privacy.consent import may_use_for
from hybridcx.profiles.preferences import read_preferences

log = structlog.get_logger(__name__)

CHANNELS = ("sms", "email")
#: The consent purpose a notice needs (privacy.consent.PURPOSES).
PURPOSE = "outreach"
CAP_WINDOW = timedelta(days=7)

DEFAULT_TEMPLATES: dict[str, dict[str, str]] = {
    "late_shipment": {
        "sms": "Hi {first_name}, your order {order_number} is running late (it was due "
        "{expected_delivery}). We're on it. Reply here with any question. Reply STOP to opt out.",
        "email_subject": "Your order {order_number} is running late",
        "email": "Hi {first_name},\n\nYour order {order_number} was due on {expected_delivery} "
        "and has not arrived yet. We are chasing {carrier} and will keep you posted. Just reply "
        "to this email if you have a question.",
    },
    "appointment_tomorrow": {
        "sms": "Hi {first_name}, a reminder of your appointment {appointment_at} at {location}. "
        "Reply here to change it. Reply STOP to opt out.",
        "email_subject": "Your appointment tomorrow",
        "email": "Hi {first_name},\n\nA reminder of your appointment {appointment_at} at "
        "{location}. Reply to this email if you need to change it.",
    },
    "failed_payment": {
        "sms": "Hi {first_name}, the payment for your order {payment_ref} didn't go through, so "
        "it is on hold. Reply here and we'll help you sort it out. Reply STOP to opt out.",
        "email_subject": "The payment for your order {payment_ref} didn't go through",
        "email": "Hi {first_name},\n\nThe payment for your order {payment_ref} was declined, so "
        "the order is on hold. Just reply to this email and we'll help you complete it.",
    },
}
GENERIC = {
    "sms": "Hi {first_name}, we noticed you may need a hand. Reply here and we'll help. "
    "Reply STOP to opt out.",
    "email_subject": "Can we help?",
    "email": "Hi {first_name},\n\nWe noticed you may need a hand. Just reply to this email.",
}


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def render(template: str, values: dict[str, Any]) -> str:
    """``{placeholder}`` filled from ``values``; unknown placeholders become empty."""
    try:
        return template.format_map(_Blank(values))
    except (ValueError, IndexError, AttributeError, KeyError) as exc:
        raise InvalidInput(f"Template {template[:40]!r} cannot be filled: {exc}") from exc


def templates_for(campaign: OutreachCampaign) -> dict[str, str]:
    return {**DEFAULT_TEMPLATES.get(campaign.signal, GENERIC), **(campaign.templates or {})}


# ---- campaigns ------------------------------------------------------------------------------


def validate(
    *, signal: str, channels: list[str], templates: dict[str, str], segment: dict[str, Any]
) -> None:
    if signal not in SIGNALS:
        raise InvalidInput(f"Unknown signal {signal!r}; known: {', '.join(SIGNALS)}.")
    bad = sorted(set(channels) - set(CHANNELS))
    if bad or not channels:
        raise InvalidInput(f"Channels must be some of {', '.join(CHANNELS)}; got {channels}.")
    unknown = sorted(set(templates) - {"sms", "email", "email_subject", "sms_from"})
    if unknown:
        raise InvalidInput(f"Unknown template(s) {', '.join(unknown)}.")
    for text in templates.values():
        render(text, {})
    unknown_seg = sorted(set(segment) - {"vip", "attributes"})
    if unknown_seg:
        raise InvalidInput(f"Unknown segment key(s) {', '.join(unknown_seg)}: use vip, attributes.")
    if "attributes" in segment and not isinstance(segment["attributes"], dict):
        raise InvalidInput("segment.attributes must be an object of attribute: value.")


def campaign_read(c: OutreachCampaign) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "signal": c.signal,
        "segment": c.segment or {},
        "channels": list(c.channels or []),
        "templates": templates_for(c),
        "status": c.status,
        "approval_threshold": c.approval_threshold,
        "holdout": c.holdout,
        "pending_size": c.pending_size,
        "approved_size": c.approved_size,
        "approved_by": c.approved_by,
        "created_by": c.created_by,
        "created_at": iso(c.created_at),
    }


async def get_campaign(
    session: AsyncSession, workspace_id: str, campaign_id: str
) -> OutreachCampaign:
    row = (
        await session.execute(
            select(OutreachCampaign).where(
                OutreachCampaign.id == campaign_id, OutreachCampaign.workspace_id == workspace_id
            )
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"No outreach campaign {campaign_id!r} in this workspace.")
    return row


async def list_campaigns(session: AsyncSession, workspace_id: str) -> list[OutreachCampaign]:
    stmt = (
        select(OutreachCampaign)
        .where(OutreachCampaign.workspace_id == workspace_id)
        .order_by(OutreachCampaign.name)
    )
    return list((await session.execute(stmt)).scalars())


async def create_campaign(
    session: AsyncSession, staff: Any, body: dict[str, Any]
) -> OutreachCampaign:
    validate(
        signal=body["signal"],
        channels=body["channels"],
        templates=body.get("templates") or {},
        segment=body.get("segment") or {},
    )
    taken = (
        await session.execute(
            select(OutreachCampaign.id).where(
                OutreachCampaign.workspace_id == staff.workspace_id,
                OutreachCampaign.name == body["name"],
            )
        )
    ).first()
    if taken is not None:
        raise Conflict(f"A campaign named {body['name']!r} exists already.")
    row = OutreachCampaign(
        id=new_id(),
        workspace_id=staff.workspace_id,
        name=body["name"],
        signal=body["signal"],
        segment=body.get("segment") or {},
        channels=list(dict.fromkeys(body["channels"])),
        templates=body.get("templates") or {},
        status="paused" if body.get("paused") else "active",
        approval_threshold=body.get("approval_threshold", 50),
        holdout=float(body.get("holdout") or 0.0),
        created_by=staff.agent_id,
        updated_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    audit.record(
        session,
        action="outreach.campaign_created",
        actor=staff,
        target_type="outreach_campaign",
        target_id=row.id,
        details={"name": row.name, "signal": row.signal, "channels": row.channels},
    )
    return row


# ---- who may be told ------------------------------------------------------------------------


@dataclass
class Planned:
    customer: Customer
    hit: Hit
    channel: str


@dataclass
class Plan:
    """A campaign's audience at one instant: who gets what, and why the others do not."""

    campaign_id: str
    sends: list[Planned] = field(default_factory=list)
    held_out: list[Planned] = field(default_factory=list)  # the control group
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count
    found: int = 0

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    @property
    def recipients(self) -> int:
        return len({p.customer.id for p in self.sends})


def _zone(name: str | None, default: str) -> ZoneInfo:
    for candidate in (name, default, "UTC"):
        if candidate:
            try:
                return ZoneInfo(str(candidate))
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def in_quiet_hours(now: datetime, zone: ZoneInfo, start: int, end: int) -> bool:
    """Whether ``now`` (naive UTC) falls in [start, end) o'clock in ``zone`` (wrapping
    midnight when start > end; start == end: no quiet hours)."""
    hour = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).hour
    if start == end:
        return False
    return start <= hour < end if start < end else (hour >= start or hour < end)


def preferred_channels(channels: list[str], preferred: str | None) -> list[str]:
    """Only the customer's preferred channel when the campaign uses it; else all of them."""
    return [preferred] if preferred in channels else list(channels)


def matches_segment(customer: Customer, segment: dict[str, Any]) -> bool:
    if "vip" in segment and bool(segment["vip"]) != bool(customer.vip):
        return False
    attrs = customer.attributes or {}
    return all(str(attrs.get(k)) == str(v) for k, v in (segment.get("attributes") or {}).items())


#: The ``channel`` of a control-group row: no notice was sent.
HOLDOUT = "none"


def in_holdout(campaign: OutreachCampaign, customer_id: str) -> bool:
    """Whether the customer is in the campaign's control group: a stable draw per campaign
    and customer, so a customer stays in the same group from run to run."""
    if campaign.holdout <= 0:
        return False
    digest = hashlib.sha256(f"{campaign.id}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < campaign.holdout


def opted_out(consents: dict[str, Any] | None) -> bool:
    """An SMS ``STOP`` (recorded by the SMS channel: channels.twilio.sms.set_opt_out)."""
    return bool(((consents or {}).get("sms") or {}).get("opted_out"))


def key_hash(session: AsyncSession, key: str) -> str:
    return session_keyring(session).blind_index(f"outreach:{key}")


async def plan(
    session: AsyncSession,
    rt: OutreachDeps,
    campaign: OutreachCampaign,
    now: datetime,
    customers: set[str] | None = None,
) -> Plan:
    settings = rt.settings
    quiet = (settings.outreach_quiet_start_hour, settings.outreach_quiet_end_hour)
    default_tz = settings.outreach_timezone
    cap = settings.outreach_weekly_cap
    result = Plan(campaign.id)
    hits = await evaluate(session, campaign.workspace_id, campaign.signal, now=now)
    if customers is not None:  # an event-driven run: only the customers the events touched
        hits = [h for h in hits if h.customer_id in customers]
    result.found = len(hits)
    counted: dict[str, int] = {}
    for hit in hits:
        customer = await session.get(Customer, hit.customer_id)
        if customer is None or customer.workspace_id != campaign.workspace_id:
            continue
        if not matches_segment(customer, campaign.segment or {}):
            result.skip("segment")
            continue
        if not may_use_for(customer, PURPOSE):
            result.skip("no_consent")
            continue
        zone = _zone((customer.attributes or {}).get("timezone"), default_tz)
        if in_quiet_hours(now, zone, *quiet):
            result.skip("quiet_hours")
            continue
        prefs = read_preferences(customer.preferences)
        if prefs.contact_hours is not None and not prefs.contact_hours.allows(now):
            result.skip("outside_contact_hours")
            continue
        digest = key_hash(session, hit.key)
        if in_holdout(campaign, customer.id):
            if await _already(session, campaign.id, customer.id, digest, HOLDOUT):
                result.skip("already_held_out")
            else:
                result.held_out.append(Planned(customer, hit, HOLDOUT))
            continue
        if customer.id not in counted:
            counted[customer.id] = await _sent_recently(session, customer.id, now)
        for channel in preferred_channels(campaign.channels, prefs.channel):
            if channel == "sms" and not customer.phone:
                result.skip("no_phone")
                continue
            if channel == "sms" and opted_out(customer.consents):
                result.skip("sms_opted_out")
                continue
            if channel == "email" and not customer.email:
                result.skip("no_email")
                continue
            if await _already(session, campaign.id, customer.id, digest, channel):
                result.skip("already_sent")
                continue
            if counted[customer.id] >= cap:
                result.skip("frequency_cap")
                continue
            counted[customer.id] += 1
            result.sends.append(Planned(customer, hit, channel))
    return result


async def _sent_recently(session: AsyncSession, customer_id: str, now: datetime) -> int:
    stmt = select(func.count(OutreachSend.id)).where(
        OutreachSend.customer_id == customer_id,
        OutreachSend.status == "sent",
        OutreachSend.created_at > now - CAP_WINDOW,
    )
    return int((await session.execute(stmt)).scalar_one())


async def _already(
    session: AsyncSession, campaign_id: str, customer_id: str, digest: str, channel: str
) -> bool:
    stmt = select(OutreachSend.id).where(
        OutreachSend.campaign_id == campaign_id,
        OutreachSend.customer_id == customer_id,
        OutreachSend.key_hash == digest,
        OutreachSend.channel == channel,
    )
    return (await session.execute(stmt)).first() is not None


# ---- running --------------------------------------------------------------------------------


async def run_campaign(
    rt: OutreachDeps,
    workspace_id: str,
    campaign_id: str,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    customers: set[str] | None = None,
) -> dict[str, Any]:
    """Evaluate the campaign's signal at ``now`` and send what may be sent. A run whose
    audience is over the approval threshold (and larger than what was approved) sends nothing
    and leaves the campaign ``awaiting_approval``."""
    now = now or utcnow()
    async with transaction(rt.sessions) as session:
        campaign = await get_campaign(session, workspace_id, campaign_id)
        summary: dict[str, Any] = {"campaign_id": campaign.id, "name": campaign.name}
        if campaign.status == "paused":
            return {**summary, "status": "paused", "sent": 0, "failed": 0}
        planned = await plan(session, rt, campaign, now, customers)
        summary.update(
            found=planned.found,
            recipients=planned.recipients,
            held_out=len({p.customer.id for p in planned.held_out}),
            skipped=planned.skipped,
        )
        if dry_run:
            return {**summary, "status": "dry_run", "sent": 0, "failed": 0}
        if (
            planned.recipients > campaign.approval_threshold
            and planned.recipients > campaign.approved_size
        ):
            campaign.pending_size = planned.recipients
            if campaign.status != "awaiting_approval":
                campaign.status = "awaiting_approval"
                audit.record(
                    session,
                    action="outreach.approval_requested",
                    actor_type="system",
                    workspace_id=workspace_id,
                    target_type="outreach_campaign",
                    target_id=campaign.id,
                    details={"recipients": planned.recipients},
                )
            return {**summary, "status": "awaiting_approval", "sent": 0, "failed": 0}
        prepared = [await _open_notice(session, rt, campaign, p) for p in planned.sends]
        for p in planned.held_out:
            session.add(
                OutreachSend(
                    workspace_id=campaign.workspace_id,
                    campaign_id=campaign.id,
                    customer_id=p.customer.id,
                    signal=campaign.signal,
                    key_hash=key_hash(session, p.hit.key),
                    channel=HOLDOUT,
                    status="held_out",
                )
            )
        if campaign.approved_size and planned.sends:
            campaign.approved_size = 0  # an approval covers one send
        campaign.status = "active"
    sent = failed = 0
    for send_id, conv, message in prepared:
        # channels.outbound sends it (a listener): the message as sent, with its outcome
        read = await rt.events.ask(rt, MessageToSend(conv, message), default=message)
        delivery = (read.get("channel_meta") or {}).get("delivery") or {}
        ok = delivery.get("status") == "sent"
        async with transaction(rt.sessions) as session:
            row = await session.get(OutreachSend, send_id)
            if row is not None:
                row.status = "sent" if ok else "failed"
                row.error = None if ok else str(delivery.get("error", "not sent"))[:500]
        sent += ok
        failed += not ok
    log.info("outreach.run", campaign_id=campaign_id, sent=sent, failed=failed)
    return {**summary, "status": "done", "sent": sent, "failed": failed}


async def _inbox(session: AsyncSession, workspace_id: str, channel: str) -> Inbox:
    stmt = (
        select(Inbox)
        .where(Inbox.workspace_id == workspace_id, Inbox.channel == channel)
        .order_by(Inbox.is_default.desc(), Inbox.created_at)
        .limit(1)
    )
    inbox = (await session.execute(stmt)).scalar_one_or_none()
    if inbox is None:
        from hybridcx.workspaces.repository import find_channel_inbox

        inbox = await find_channel_inbox(session, channel)  # the default workspace's, created
    if inbox is None or inbox.workspace_id != workspace_id:
        raise InvalidInput(f"This workspace has no {channel} inbox to send outreach from.")
    return inbox


async def _open_notice(
    session: AsyncSession, rt: OutreachDeps, campaign: OutreachCampaign, p: Planned
) -> tuple[str, Conversation, dict[str, Any]]:
    """The notice's conversation and message (sent after commit) and its outreach_sends row."""
    templates = templates_for(campaign)
    customer = p.customer
    values = {
        "name": customer.name or "there",
        "first_name": (customer.name or "there").split()[0],
        **p.hit.context,
    }
    send_id = new_id()
    context = {
        "send_id": send_id,
        "campaign_id": campaign.id,
        "campaign": campaign.name,
        "signal": campaign.signal,
        "sent_at": iso(utcnow()),
        **p.hit.context,
    }
    inbox = await _inbox(session, campaign.workspace_id, p.channel)
    meta: dict[str, Any] = {"outreach": context}
    if p.channel == "sms":
        sender = templates.get("sms_from") or rt.settings.twilio_sms_from
        meta.update(customer_number=customer.phone, our_number=sender)
        thread_key = customer.phone
        text = render(templates["sms"], values)
    else:
        subject = render(templates["email_subject"], values)
        meta["email"] = {"subject": subject, "address": customer.email}
        thread_key = f"outreach-{send_id}"
        text = render(templates["email"], values)
    conv = Conversation(
        id=new_id(),
        workspace_id=campaign.workspace_id,
        inbox_id=inbox.id,
        customer_id=customer.id,
        channel=p.channel,
        status="bot",
        tier=1,
        customer_token_hash=hash_token(new_token()),
        identity_verified=False,
        routing={},
        ai_state={"outreach": context},
        thread_key=thread_key,
        channel_meta=meta,
        created_at=utcnow(),
        team=inbox.team,
    )
    session.add(conv)
    await session.flush()
    repo.add_event(
        session,
        conv,
        "outreach.sent",
        actor="system",
        data={"campaign_id": campaign.id, "signal": campaign.signal, "channel": p.channel},
    )
    msg: Message = repo.add_message(
        session, conv, author="system", text=text, channel_meta={"outreach": send_id}
    )
    session.add(
        OutreachSend(
            id=send_id,
            workspace_id=campaign.workspace_id,
            campaign_id=campaign.id,
            customer_id=customer.id,
            conversation_id=conv.id,
            signal=campaign.signal,
            key_hash=key_hash(session, p.hit.key),
            channel=p.channel,
            status="sending",
        )
    )
    await session.flush()
    return send_id, conv, message_read(msg)


async def run_all(rt: OutreachDeps, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every active campaign of every workspace (the schedule)."""
    async with rt.sessions() as session:
        rows = (
            await session.execute(
                select(OutreachCampaign.workspace_id, OutreachCampaign.id).where(
                    OutreachCampaign.status == "active"
                )
            )
        ).all()
    return [await run_campaign(rt, ws, cid, now=now) for ws, cid in rows]


async def approve(rt: OutreachDeps, staff: Any, campaign_id: str) -> dict[str, Any]:
    """Someone other than the author approves the held run's audience size; the next run sends
    to an audience up to that size (a larger one is held again)."""
    async with transaction(rt.sessions) as session:
        campaign = await get_campaign(session, staff.workspace_id, campaign_id)
        if campaign.status != "awaiting_approval":
            raise Conflict("This campaign is not waiting for an approval.")
        if campaign.created_by == staff.agent_id:
            raise Conflict("A campaign's large send is approved by someone other than its author.")
        campaign.approved_size = campaign.pending_size
        campaign.pending_size = 0
        campaign.approved_by = staff.agent_id
        campaign.status = "active"
        audit.record(
            session,
            action="outreach.approved",
            actor=staff,
            target_type="outreach_campaign",
            target_id=campaign.id,
            details={"recipients": campaign.approved_size},
        )
        return campaign_read(campaign)


# ---- measuring ------------------------------------------------------------------------------


#: How long after a notice (or its control-group draw) a customer's own contact counts.
PREVENTION_WINDOW = timedelta(days=7)


async def stats(session: AsyncSession, workspace_id: str) -> dict[str, Any]:
    """Per campaign and channel: notices sent and failed, and how many customers replied (a
    customer message in the notice's conversation): the response rate. Per campaign with a
    control group: the share of notified and of held-out customers who contacted us themselves
    within 7 days, and the contacts avoided: (control rate - notified rate) x notified."""
    sends = list(
        (
            await session.execute(
                select(OutreachSend).where(OutreachSend.workspace_id == workspace_id)
            )
        ).scalars()
    )
    ours: set[str] = {s.conversation_id for s in sends if s.conversation_id}
    conv_ids = [s.conversation_id for s in sends if s.conversation_id and s.status == "sent"]
    replied: set[str] = set()
    if conv_ids:
        answered = (
            select(Message.conversation_id)
            .where(Message.conversation_id.in_(conv_ids), Message.author == "customer")
            .distinct()
        )
        replied = {r[0] for r in (await session.execute(answered)).all()}
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for s in sends:
        if s.status == "held_out":
            continue
        row = out.setdefault(
            (s.campaign_id, s.channel),
            {
                "campaign_id": s.campaign_id,
                "channel": s.channel,
                "sent": 0,
                "failed": 0,
                "replied": 0,
            },
        )
        if s.status == "sent":
            row["sent"] += 1
            row["replied"] += s.conversation_id in replied
        elif s.status == "failed":
            row["failed"] += 1
    items = sorted(out.values(), key=lambda r: (r["campaign_id"], r["channel"]))
    for r in items:
        r["response_rate"] = round(r["replied"] / r["sent"], 3) if r["sent"] else None
    total_sent = sum(r["sent"] for r in items)
    total_replied = sum(r["replied"] for r in items)
    prevention = await _prevention(session, workspace_id, sends, ours)
    return {
        "items": items,
        "sent": total_sent,
        "replied": total_replied,
        "response_rate": round(total_replied / total_sent, 3) if total_sent else None,
        "prevention": prevention,
        "contacts_avoided": round(sum(p["contacts_avoided"] or 0 for p in prevention), 2),
    }


async def _prevention(
    session: AsyncSession, workspace_id: str, sends: list[OutreachSend], ours: set[str]
) -> list[dict[str, Any]]:
    """Notified vs held-out customers of each campaign with a control group."""
    first: dict[tuple[str, str, str], datetime] = {}  # (campaign, group, customer) -> when
    for s in sends:
        group = "control" if s.status == "held_out" else "notified" if s.status == "sent" else ""
        if group:
            key = (s.campaign_id, group, s.customer_id)
            first[key] = min(first.get(key, s.created_at), s.created_at)
    campaigns = sorted({c for c, g, _ in first if g == "control"})
    if not campaigns:
        return []
    customers = sorted({cust for c, _, cust in first if c in campaigns})
    stmt = select(Conversation.customer_id, Conversation.id, Conversation.created_at).where(
        Conversation.workspace_id == workspace_id, Conversation.customer_id.in_(customers)
    )
    contacts: dict[str, list[datetime]] = {}
    for customer_id, conv_id, created in (await session.execute(stmt)).all():
        if conv_id not in ours:  # a customer's own contact, not one of our notices
            contacts.setdefault(customer_id, []).append(created)
    result: list[dict[str, Any]] = []
    for campaign_id in campaigns:
        rates: dict[str, tuple[int, int]] = {}
        for group in ("notified", "control"):
            members = [
                (cust, t) for (c, g, cust), t in first.items() if c == campaign_id and g == group
            ]
            came = sum(
                1
                for cust, t in members
                if any(t <= at <= t + PREVENTION_WINDOW for at in contacts.get(cust, []))
            )
            rates[group] = (len(members), came)
        (n_notified, c_notified), (n_control, c_control) = rates["notified"], rates["control"]
        notified_rate = c_notified / n_notified if n_notified else None
        control_rate = c_control / n_control if n_control else None
        avoided = (
            round((control_rate - notified_rate) * n_notified, 2)
            if notified_rate is not None and control_rate is not None
            else None
        )
        result.append(
            {
                "campaign_id": campaign_id,
                "notified": n_notified,
                "control": n_control,
                "notified_contact_rate": _r(notified_rate),
                "control_contact_rate": _r(control_rate),
                "contacts_avoided": avoided,
            }
        )
    return result


def _r(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None
