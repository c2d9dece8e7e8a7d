"""Replay a conversation event log into one fact row per conversation (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SURVEY = "survey.submitted"
ORDER = "order.attributed"
# The event types the KPIs read; repository queries ask for these only.
KPI_EVENT_TYPES = (
    "conversation.created",
    "routing.decided",
    "conversation.queued",
    "conversation.assigned",
    "conversation.transferred",
    "conversation.taken_over",
    "conversation.resolved",
    SURVEY,
    ORDER,
)


@dataclass(frozen=True)
class EventRow:
    """One ``conversation_events`` row, as the KPIs need it."""

    conversation_id: str
    type: str
    created_at: datetime
    actor: str = "system"
    actor_id: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Segment:
    """A stretch of time one agent owned a conversation."""

    agent_id: str
    start: datetime
    end: datetime | None


@dataclass
class ConversationFacts:
    id: str
    created_at: datetime
    customer_id: str | None = None
    channel: str = "unknown"
    tier: int = 1
    intent: str | None = None
    turns: int = 0
    transfers: int = 0
    escalated: bool = False
    taken_over: bool = False
    reasons: list[str] = field(default_factory=list)
    # Seconds each queue entry waited until a person picked it up; None if nobody did.
    queue_waits: list[float | None] = field(default_factory=list)
    first_assigned_at: datetime | None = None
    resolved_at: datetime | None = None
    last_event_at: datetime | None = None
    segments: list[Segment] = field(default_factory=list)
    csat: int | None = None
    # Net Promoter answer (0-10) from the same survey, when the customer gave one.
    nps: int | None = None
    # The customer's segment when the conversation started (``conversation.created`` data):
    # "vip" or "standard", and the customer's lifetime value then (value tiers are configured).
    segment: str = "unknown"
    customer_value: float | None = None
    # Orders attributed to this conversation (``order.attributed``) and their total amount.
    orders: int = 0
    revenue: float = 0.0
    sentiments: list[float] = field(default_factory=list)
    # The AI's sentiment reading of each customer message, by message id (the turn id).
    turn_sentiments: dict[str, float] = field(default_factory=dict)
    # When the current queue entry started (replay state: cleared by the next assignment).
    queued_since: datetime | None = None

    @property
    def human(self) -> bool:
        return self.first_assigned_at is not None or self.escalated

    @property
    def contained(self) -> bool:
        """The AI kept it: never queued, never assigned to or taken over by a person."""
        return not self.human

    @property
    def agents(self) -> set[str]:
        return {s.agent_id for s in self.segments}

    @property
    def handle_seconds(self) -> float | None:
        """First human assignment to resolution."""
        if self.first_assigned_at is None or self.resolved_at is None:
            return None
        return max(0.0, (self.resolved_at - self.first_assigned_at).total_seconds())

    @property
    def open(self) -> bool:
        """Still with people (queued or assigned, not resolved)."""
        return self.human and self.resolved_at is None


class _Replayer:
    def __init__(self, meta_intents: frozenset[str]) -> None:
        self.meta_intents = meta_intents
        self.facts: dict[str, ConversationFacts] = {}

    def apply(self, e: EventRow) -> None:
        if e.type == "conversation.created":
            self.facts[e.conversation_id] = ConversationFacts(
                id=e.conversation_id,
                created_at=e.created_at,
                customer_id=e.actor_id,
                channel=str(e.data.get("channel") or "unknown"),
                segment=str(e.data.get("segment") or "unknown"),
                customer_value=_number(e.data.get("customer_value")),
            )
            return
        f = self.facts.get(e.conversation_id)
        if f is None:
            return  # started outside the loaded range
        f.last_event_at = e.created_at
        handler = getattr(self, "_" + e.type.replace(".", "_"), None)
        if handler is not None:
            handler(f, e)

    def _routing_decided(self, f: ConversationFacts, e: EventRow) -> None:
        d = e.data
        if d.get("turn_id"):
            f.turns += 1
            if isinstance(d.get("sentiment"), int | float):
                f.sentiments.append(float(d["sentiment"]))
                f.turn_sentiments[str(d["turn_id"])] = float(d["sentiment"])
        intent = d.get("intent")
        if f.intent is None and intent and intent not in self.meta_intents:
            f.intent = str(intent)
        # While people have it, a later turn can only raise the tier (as the service does).
        if f.human and isinstance(d.get("tier"), int):
            f.tier = max(f.tier, d["tier"])

    def _conversation_queued(self, f: ConversationFacts, e: EventRow) -> None:
        f.escalated = True
        if isinstance(e.data.get("tier"), int):
            f.tier = e.data["tier"]
        reasons = [str(r) for r in e.data.get("reasons", [])]
        f.reasons.extend(r for r in reasons if r not in f.reasons and r != "transfer")
        self._close_segment(f, e.created_at)
        f.queued_since = e.created_at
        f.queue_waits.append(None)

    def _conversation_assigned(self, f: ConversationFacts, e: EventRow) -> None:
        queued, f.queued_since = f.queued_since, None
        if queued is not None and f.queue_waits and f.queue_waits[-1] is None:
            f.queue_waits[-1] = max(0.0, (e.created_at - queued).total_seconds())
        if f.first_assigned_at is None:
            f.first_assigned_at = e.created_at
        self._close_segment(f, e.created_at)
        agent_id = e.data.get("agent_id") or e.actor_id
        if agent_id:
            f.segments.append(Segment(str(agent_id), e.created_at, None))

    def _conversation_transferred(self, f: ConversationFacts, e: EventRow) -> None:
        f.transfers += 1
        if isinstance(e.data.get("tier"), int):
            f.tier = e.data["tier"]

    def _conversation_taken_over(self, f: ConversationFacts, e: EventRow) -> None:
        f.taken_over = True
        if "supervisor_takeover" not in f.reasons and e.data.get("from_status") == "bot":
            f.reasons.append("supervisor_takeover")
        f.escalated = True
        f.tier = max(f.tier, 2)

    def _conversation_resolved(self, f: ConversationFacts, e: EventRow) -> None:
        f.resolved_at = e.created_at
        self._close_segment(f, e.created_at)

    def _survey_submitted(self, f: ConversationFacts, e: EventRow) -> None:
        rating = e.data.get("rating")
        if isinstance(rating, int) and not isinstance(rating, bool):
            f.csat = rating
        nps = e.data.get("nps")
        if isinstance(nps, int) and not isinstance(nps, bool) and 0 <= nps <= 10:
            f.nps = nps

    def _order_attributed(self, f: ConversationFacts, e: EventRow) -> None:
        amount = e.data.get("amount")
        if isinstance(amount, int | float) and not isinstance(amount, bool):
            f.orders += 1
            f.revenue = round(f.revenue + float(amount), 2)

    @staticmethod
    def _close_segment(f: ConversationFacts, at: datetime) -> None:
        if f.segments and f.segments[-1].end is None:
            last = f.segments[-1]
            f.segments[-1] = Segment(last.agent_id, last.start, at)


def replay(
    events: Iterable[EventRow],
    *,
    meta_intents: Iterable[str] = (),
    facts: dict[str, ConversationFacts] | None = None,
) -> dict[str, ConversationFacts]:
    """Facts per conversation, from events in log order (the order they were written).

    With ``facts`` (earlier replay results, updated in place) the events continue those
    conversations: replaying a log in two parts gives the same facts as replaying it whole."""
    replayer = _Replayer(frozenset(meta_intents))
    if facts is not None:
        replayer.facts = facts
    for event in events:
        replayer.apply(event)
    return replayer.facts


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _dt(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def to_state(f: ConversationFacts) -> dict[str, Any]:
    """A JSON-ready form of ``f`` (everything, so replay can continue from it)."""
    return {
        "id": f.id,
        "created_at": f.created_at.isoformat(),
        "customer_id": f.customer_id,
        "channel": f.channel,
        "tier": f.tier,
        "intent": f.intent,
        "turns": f.turns,
        "transfers": f.transfers,
        "escalated": f.escalated,
        "taken_over": f.taken_over,
        "reasons": f.reasons,
        "queue_waits": f.queue_waits,
        "first_assigned_at": _dt(f.first_assigned_at),
        "resolved_at": _dt(f.resolved_at),
        "last_event_at": _dt(f.last_event_at),
        "segments": [[s.agent_id, s.start.isoformat(), _dt(s.end)] for s in f.segments],
        "csat": f.csat,
        "nps": f.nps,
        "segment": f.segment,
        "customer_value": f.customer_value,
        "orders": f.orders,
        "revenue": f.revenue,
        "sentiments": f.sentiments,
        "turn_sentiments": f.turn_sentiments,
        "queued_since": _dt(f.queued_since),
    }


def from_state(d: Mapping[str, Any]) -> ConversationFacts:
    """The inverse of ``to_state``."""
    return ConversationFacts(
        id=d["id"],
        created_at=datetime.fromisoformat(d["created_at"]),
        customer_id=d["customer_id"],
        channel=d["channel"],
        tier=d["tier"],
        intent=d["intent"],
        turns=d["turns"],
        transfers=d["transfers"],
        escalated=d["escalated"],
        taken_over=d["taken_over"],
        reasons=list(d["reasons"]),
        queue_waits=list(d["queue_waits"]),
        first_assigned_at=_parse(d["first_assigned_at"]),
        resolved_at=_parse(d["resolved_at"]),
        last_event_at=_parse(d["last_event_at"]),
        segments=[
            Segment(agent, datetime.fromisoformat(start), _parse(end))
            for agent, start, end in d["segments"]
        ],
        csat=d["csat"],
        # Rows written before these fields existed lack them.
        nps=d.get("nps"),
        segment=d.get("segment", "unknown"),
        customer_value=d.get("customer_value"),
        orders=d.get("orders", 0),
        revenue=d.get("revenue", 0.0),
        sentiments=list(d["sentiments"]),
        turn_sentiments=dict(d["turn_sentiments"]),
        queued_since=_parse(d["queued_since"]),
    )
