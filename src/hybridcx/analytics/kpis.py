"""KPIs as pure functions over conversation event rows.

Everything here is computed from the event log alone, so the same numbers come out of the API,
the CLI, the benchmark and a unit test on a hand-built log. ``compute_kpis`` is the entry point.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hybridcx.analytics.config import AnalyticsConfig
from hybridcx.analytics.facts import ConversationFacts, EventRow, Segment, replay
from hybridcx.kit.time import iso


@dataclass(frozen=True)
class KpiQuery:
    """Conversations *started* in [start, end), narrowed by the optional filters."""

    start: datetime
    end: datetime
    channel: str | None = None
    tier: int | None = None
    intent: str | None = None
    agent_id: str | None = None

    def matches(self, f: ConversationFacts) -> bool:
        return (
            self.start <= f.created_at < self.end
            and (self.channel is None or f.channel == self.channel)
            and (self.tier is None or f.tier == self.tier)
            and (self.intent is None or f.intent == self.intent)
            and (self.agent_id is None or self.agent_id in f.agents)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": iso(self.start),
            "to": iso(self.end),
            "channel": self.channel,
            "tier": self.tier,
            "intent": self.intent,
            "agent_id": self.agent_id,
        }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _mean(values: Sequence[float]) -> float | None:
    return round(statistics.fmean(values), 2) if values else None


# ---- customer experience ---------------------------------------------------------------------


def csat(cohort: Sequence[ConversationFacts], *, satisfied_min: int = 4) -> dict[str, Any]:
    """Average post-conversation rating (1-5) and the share rating ``satisfied_min`` or more."""
    ratings = [f.csat for f in cohort if f.csat is not None]
    return {
        "responses": len(ratings),
        "average": _mean(ratings),
        "satisfied_share": _rate(sum(1 for r in ratings if r >= satisfied_min), len(ratings)),
        "distribution": {str(k): v for k, v in sorted(Counter(ratings).items())},
    }


def first_contact_resolution(
    cohort: Sequence[ConversationFacts],
    everyone: Iterable[ConversationFacts],
    *,
    days: float,
) -> dict[str, Any]:
    """Share of finished conversations whose customer did not start another within ``days``.

    Finished means resolved by a person, or kept by the AI to the end (AI conversations have no
    resolved event). Re-contacts count across every channel and filter."""
    starts: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for f in everyone:
        if f.customer_id:
            starts[f.customer_id].append((f.created_at, f.channel))
    window = timedelta(days=days)
    finished = [f for f in cohort if not f.open]
    recontacted = switched = 0
    for f in finished:
        later = [
            ch
            for at, ch in starts.get(f.customer_id or "", [])
            if f.created_at < at <= f.created_at + window
        ]
        if later:
            recontacted += 1
            switched += any(ch != f.channel for ch in later)
    return {
        "window_days": days,
        "finished": len(finished),
        "resolved_first_contact": len(finished) - recontacted,
        "rate": _rate(len(finished) - recontacted, len(finished)),
        "recontacts": recontacted,
        "recontacts_on_another_channel": switched,
    }


def average_handle_time(cohort: Sequence[ConversationFacts]) -> dict[str, Any]:
    """Seconds from the first human assignment to resolution, overall, by channel and tier."""
    by_channel: dict[str, list[float]] = defaultdict(list)
    by_tier: dict[str, list[float]] = defaultdict(list)
    every: list[float] = []
    for f in cohort:
        seconds = f.handle_seconds
        if seconds is None:
            continue
        every.append(seconds)
        by_channel[f.channel].append(seconds)
        by_tier[str(f.tier)].append(seconds)
    return {
        "conversations": len(every),
        "seconds": _mean(every),
        "median_seconds": round(statistics.median(every), 2) if every else None,
        "by_channel": {k: _mean(v) for k, v in sorted(by_channel.items())},
        "by_tier": {k: _mean(v) for k, v in sorted(by_tier.items())},
    }


def customer_effort(cohort: Sequence[ConversationFacts]) -> dict[str, Any]:
    """Customer messages and transfers per conversation (re-contacts are in FCR)."""
    return {
        "average_turns": _mean([f.turns for f in cohort]),
        "average_transfers": _mean([f.transfers for f in cohort]),
        "transferred_share": _rate(sum(1 for f in cohort if f.transfers), len(cohort)),
    }


def escalation(cohort: Sequence[ConversationFacts]) -> dict[str, Any]:
    """Conversations the AI handed to people (queued or taken over), and why."""
    escalated = [f for f in cohort if f.escalated]
    reasons: Counter[str] = Counter(r for f in escalated for r in f.reasons)
    return {
        "escalated": len(escalated),
        "rate": _rate(len(escalated), len(cohort)),
        "reasons": dict(reasons.most_common()),
    }


# ---- operations ------------------------------------------------------------------------------


def containment(cohort: Sequence[ConversationFacts]) -> dict[str, Any]:
    contained = sum(1 for f in cohort if f.contained)
    return {"contained": contained, "rate": _rate(contained, len(cohort))}


def tier_distribution(cohort: Sequence[ConversationFacts]) -> dict[str, Any]:
    counts = Counter(str(f.tier) for f in cohort)
    return {
        "counts": dict(sorted(counts.items())),
        "shares": {k: _rate(v, len(cohort)) for k, v in sorted(counts.items())},
    }


def cost(cohort: Sequence[ConversationFacts], config: AnalyticsConfig) -> dict[str, Any]:
    """Cost per interaction by tier, blended cost per contact, and the all-human comparison."""
    model = config.cost
    counts = Counter(f.tier for f in cohort)
    total = sum(model.per_tier(tier) * n for tier, n in counts.items())
    blended = total / len(cohort) if cohort else None
    return {
        "currency": model.currency,
        "per_interaction_by_tier": {str(t): model.per_tier(t) for t in (1, 2, 3)},
        "total": round(total, 2),
        "blended_per_contact": round(blended, 2) if blended is not None else None,
        "all_human_baseline_per_contact": model.all_human_baseline,
        "savings_vs_baseline": (
            round(1 - blended / model.all_human_baseline, 4)
            if blended is not None and model.all_human_baseline
            else None
        ),
    }


def queue_service(cohort: Sequence[ConversationFacts], *, target_seconds: float) -> dict[str, Any]:
    """Share of queue entries a person picked up within ``target_seconds``, and the ASA."""
    waits = [w for f in cohort for w in f.queue_waits]
    answered = [w for w in waits if w is not None]
    within = sum(1 for w in answered if w <= target_seconds)
    return {
        "target_seconds": target_seconds,
        "queued": len(waits),
        "answered": len(answered),
        "unanswered": len(waits) - len(answered),
        "answered_within_target": within,
        # Over everything queued: a contact still waiting (or given up) missed the target.
        "service_level": _rate(within, len(waits)),
        "average_speed_of_answer_seconds": _mean(answered),
        "longest_wait_seconds": round(max(answered), 2) if answered else None,
    }


def _union_seconds(spans: list[tuple[datetime, datetime]]) -> float:
    total, current_start, current_end = 0.0, None, None
    for start, end in sorted(spans):
        if current_end is None or start > current_end:
            if current_end is not None and current_start is not None:
                total += (current_end - current_start).total_seconds()
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None and current_start is not None:
        total += (current_end - current_start).total_seconds()
    return total


def agent_activity(cohort: Sequence[ConversationFacts], *, now: datetime) -> list[dict[str, Any]]:
    """Per agent: conversations, handled time, and occupancy over their active span.

    Staffed (logged-in) time is not in the event log, so the denominator of occupancy is the
    agent's active span: from their first assignment to their last release in the data."""
    spans: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    conversations: dict[str, set[str]] = defaultdict(set)
    resolved: Counter[str] = Counter()
    for f in cohort:
        for seg in f.segments:
            spans[seg.agent_id].append((seg.start, _end(seg, now)))
            conversations[seg.agent_id].add(f.id)
        if f.resolved_at is not None and f.segments and f.segments[-1].end == f.resolved_at:
            resolved[f.segments[-1].agent_id] += 1
    rows = []
    for agent_id, agent_spans in sorted(spans.items()):
        handled = sum((end - start).total_seconds() for start, end in agent_spans)
        busy = _union_seconds(agent_spans)
        active = (
            max(end for _, end in agent_spans) - min(start for start, _ in agent_spans)
        ).total_seconds()
        rows.append(
            {
                "agent_id": agent_id,
                "conversations": len(conversations[agent_id]),
                "resolved": resolved[agent_id],
                "handled_seconds": round(handled, 2),
                "busy_seconds": round(busy, 2),
                "active_span_seconds": round(active, 2),
                "occupancy": round(busy / active, 4) if active else None,
                "average_concurrency": round(handled / busy, 4) if busy else None,
            }
        )
    return rows


def _end(seg: Segment, now: datetime) -> datetime:
    return seg.end if seg.end is not None else max(now, seg.start)


# ---- the report ------------------------------------------------------------------------------


def compute_kpis(
    events: Iterable[EventRow],
    query: KpiQuery,
    config: AnalyticsConfig | None = None,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Every KPI for the conversations ``query`` selects, from events in log order.

    ``events`` should reach ``config.fcr_days`` past ``query.end`` so late re-contacts count."""
    config = config or AnalyticsConfig()
    facts = replay(events, meta_intents=config.meta_intents)
    return compute_kpis_from_facts(facts.values(), query, config, now=now)


def compute_kpis_from_facts(
    facts: Iterable[ConversationFacts],
    query: KpiQuery,
    config: AnalyticsConfig | None = None,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """``compute_kpis`` from replayed facts (such as the rollup's ``conversation_facts`` rows).

    ``facts`` should hold every conversation started from ``query.start`` to ``config.fcr_days``
    past ``query.end``, so late re-contacts count."""
    config = config or AnalyticsConfig()
    everyone = list(facts)
    cohort = [f for f in everyone if query.matches(f)]
    now = now or max((f.last_event_at or f.created_at for f in everyone), default=query.end)
    return {
        "query": query.to_dict(),
        "volume": {
            "conversations": len(cohort),
            "by_channel": dict(sorted(Counter(f.channel for f in cohort).items())),
            "by_intent": dict(Counter(f.intent or "unknown" for f in cohort).most_common(20)),
            "open_with_people": sum(1 for f in cohort if f.open),
        },
        "customer_experience": {
            "csat": csat(cohort, satisfied_min=config.csat_satisfied_min),
            "nps": None,  # the survey asks no NPS question yet
            "first_contact_resolution": first_contact_resolution(
                cohort, everyone, days=config.fcr_days
            ),
            "average_handle_time": average_handle_time(cohort),
            "customer_effort": customer_effort(cohort),
            "escalation": escalation(cohort),
        },
        "operations": {
            "ai_containment": containment(cohort),
            "tier_distribution": tier_distribution(cohort),
            "cost": cost(cohort, config),
            "queue": queue_service(cohort, target_seconds=config.service_level_seconds),
            "agents": agent_activity(cohort, now=now),
        },
    }
