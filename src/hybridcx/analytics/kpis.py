"""KPIs as pure functions over conversation event rows.

Everything here is computed from the event log alone, so the same numbers come out of the API,
the CLI, the benchmark and a unit test on a hand-built log. ``compute_kpis`` is the entry point.
"""

from __future__ import annotations

import statistics
from bisect import bisect_right
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
    # A team: the conversations any of its members handled (resolved to agent ids by the caller).
    team: str | None = None
    team_agent_ids: frozenset[str] | None = None
    # a tag: the conversations that have it (resolved to ids by the caller).
    tag: str | None = None
    tag_conversation_ids: frozenset[str] | None = None

    def matches(self, f: ConversationFacts) -> bool:
        return (
            self.start <= f.created_at < self.end
            and (self.channel is None or f.channel == self.channel)
            and (self.tier is None or f.tier == self.tier)
            and (self.intent is None or f.intent == self.intent)
            and (self.agent_id is None or self.agent_id in f.agents)
            and (self.team_agent_ids is None or bool(self.team_agent_ids & f.agents))
            and (self.tag_conversation_ids is None or f.id in self.tag_conversation_ids)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": iso(self.start),
            "to": iso(self.end),
            "channel": self.channel,
            "tier": self.tier,
            "intent": self.intent,
            "agent_id": self.agent_id,
            "team": self.team,
            "tag": self.tag,
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
    same_issue: bool = True,
) -> dict[str, Any]:
    """Share of finished conversations whose customer did not come back within ``days``.

    Finished means resolved by a person, or kept by the AI to the end (AI conversations have no
    resolved event). With ``same_issue`` a later conversation counts as a re-contact when it is
    about the same intent, or when either intent is unknown (so an unclassified return still
    counts against resolution); otherwise every later conversation counts. Re-contacts count
    across every channel and filter."""
    starts: dict[str, list[tuple[datetime, str, str | None]]] = defaultdict(list)
    for f in everyone:
        if f.customer_id:
            starts[f.customer_id].append((f.created_at, f.channel, f.intent))
    times: dict[str, list[datetime]] = {}
    for customer, rows in starts.items():
        rows.sort(key=lambda r: r[0])
        times[customer] = [r[0] for r in rows]
    window = timedelta(days=days)
    finished = [f for f in cohort if not f.open]
    recontacted = switched = 0
    for f in finished:
        rows = starts.get(f.customer_id or "") or []
        if not rows:
            continue
        at_ = times[f.customer_id or ""]
        # Only the customer's conversations started in (created_at, created_at + window].
        first = bisect_right(at_, f.created_at)
        last = bisect_right(at_, f.created_at + window)
        later = [
            ch
            for _, ch, intent in rows[first:last]
            if not same_issue or intent is None or f.intent is None or intent == f.intent
        ]
        if later:
            recontacted += 1
            switched += any(ch != f.channel for ch in later)
    return {
        "window_days": days,
        "recontact": "same_issue" if same_issue else "any",
        "finished": len(finished),
        "resolved_first_contact": len(finished) - recontacted,
        "rate": _rate(len(finished) - recontacted, len(finished)),
        "recontacts": recontacted,
        "recontacts_on_another_channel": switched,
    }


def nps(cohort: Sequence[ConversationFacts]) -> dict[str, Any]:
    """Net Promoter Score from the survey's 0-10 question: % promoters (9-10) - % detractors (0-6)."""
    answers = [f.nps for f in cohort if f.nps is not None]
    promoters = sum(1 for a in answers if a >= 9)
    detractors = sum(1 for a in answers if a <= 6)
    return {
        "responses": len(answers),
        "promoters": promoters,
        "passives": len(answers) - promoters - detractors,
        "detractors": detractors,
        "score": round(100 * (promoters - detractors) / len(answers), 1) if answers else None,
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


def agent_activity(
    cohort: Sequence[ConversationFacts],
    *,
    now: datetime,
    staffed_seconds: dict[str, float] | None = None,
) -> list[dict[str, Any]]:
    """Per agent: conversations, handled time, occupancy and utilization.

    With ``staffed_seconds`` (each agent's logged-in time in the window, from their desk
    sessions) occupancy = time with at least one conversation / staffed time and utilization =
    handled time / staffed time (above 1 when working several conversations at once). Without
    it, occupancy falls back to the agent's active span: first assignment to last release."""
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
        staffed = (staffed_seconds or {}).get(agent_id)
        basis = staffed if staffed else active
        rows.append(
            {
                "agent_id": agent_id,
                "conversations": len(conversations[agent_id]),
                "resolved": resolved[agent_id],
                "handled_seconds": round(handled, 2),
                "busy_seconds": round(busy, 2),
                "active_span_seconds": round(active, 2),
                "staffed_seconds": round(staffed, 2) if staffed else None,
                "occupancy": round(min(1.0, busy / basis), 4) if basis else None,
                "utilization": round(handled / staffed, 4) if staffed else None,
                "occupancy_basis": "staffed" if staffed else "active_span",
                "average_concurrency": round(handled / busy, 4) if busy else None,
            }
        )
    return rows


def _end(seg: Segment, now: datetime) -> datetime:
    return seg.end if seg.end is not None else max(now, seg.start)


# ---- business --------------------------------------------------------------------------------


def revenue(cohort: Sequence[ConversationFacts], config: AnalyticsConfig) -> dict[str, Any]:
    """Revenue from orders attributed to conversations, per sales conversation.

    A sales conversation is one about a ``sales_intents`` intent or with an attributed order."""
    sales_intents = set(config.sales_intents)
    sales = [f for f in cohort if f.orders or (f.intent in sales_intents)]
    total = round(sum(f.revenue for f in cohort), 2)
    converted = sum(1 for f in sales if f.orders)
    return {
        "currency": config.cost.currency,
        "sales_conversations": len(sales),
        "with_orders": converted,
        "conversion_rate": _rate(converted, len(sales)),
        "orders": sum(f.orders for f in cohort),
        "revenue": total,
        "revenue_per_sales_conversation": (
            round(sum(f.revenue for f in sales) / len(sales), 2) if sales else None
        ),
    }


def value_by_segment(
    cohort: Sequence[ConversationFacts], config: AnalyticsConfig
) -> dict[str, Any]:
    """Per customer segment (VIP or standard) and value tier: volume, revenue, cost, outcomes."""

    per_tier = {t: config.cost.per_tier(t) for t in (1, 2, 3)}

    def summary(group: list[ConversationFacts]) -> dict[str, Any]:
        tiers = Counter(f.tier for f in group)
        spent = sum(per_tier.get(t, config.cost.per_tier(t)) * n for t, n in tiers.items())
        earned = sum(f.revenue for f in group)
        return {
            "conversations": len(group),
            "revenue": round(earned, 2),
            "revenue_per_conversation": round(earned / len(group), 2) if group else None,
            "cost": round(spent, 2),
            "ai_containment": _rate(sum(1 for f in group if f.contained), len(group)),
            "csat_average": _mean([f.csat for f in group if f.csat is not None]),
        }

    by_segment: dict[str, list[ConversationFacts]] = defaultdict(list)
    by_tier: dict[str, list[ConversationFacts]] = defaultdict(list)
    for f in cohort:
        by_segment[f.segment].append(f)
        by_tier[config.value_tier(f.customer_value)].append(f)
    return {
        "by_segment": {k: summary(v) for k, v in sorted(by_segment.items())},
        "by_value_tier": {k: summary(v) for k, v in sorted(by_tier.items())},
    }


def scalability(
    volume: int, previous_volume: int, staffed_hours: float, previous_staffed_hours: float
) -> dict[str, Any]:
    """Volume growth against staffed-hours growth from the previous period of the same length.

    ``ratio`` = (volume now / before) / (staffed hours now / before): above 1 means volume grew
    faster than staffing (the AI absorbed the growth)."""
    volume_growth = volume / previous_volume if previous_volume else None
    staffed_growth = staffed_hours / previous_staffed_hours if previous_staffed_hours else None
    return {
        "volume": volume,
        "previous_volume": previous_volume,
        "staffed_hours": round(staffed_hours, 2),
        "previous_staffed_hours": round(previous_staffed_hours, 2),
        "volume_growth": round(volume_growth - 1, 4) if volume_growth is not None else None,
        "staffed_hours_growth": (
            round(staffed_growth - 1, 4) if staffed_growth is not None else None
        ),
        "ratio": (
            round(volume_growth / staffed_growth, 4)
            if volume_growth is not None and staffed_growth
            else None
        ),
        "contacts_per_staffed_hour": round(volume / staffed_hours, 2) if staffed_hours else None,
    }


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
    staffed_seconds: dict[str, float] | None = None,
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
            "nps": nps(cohort),
            "first_contact_resolution": first_contact_resolution(
                cohort,
                everyone,
                days=config.fcr_days,
                same_issue=config.fcr_recontact == "same_issue",
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
            "agents": agent_activity(cohort, now=now, staffed_seconds=staffed_seconds),
        },
        "business": {
            "revenue": revenue(cohort, config),
            "value_by_segment": value_by_segment(cohort, config),
        },
    }
