"""The simulation's report: the analytics KPIs over the simulated event log, the product's
targets, Erlang C staffing beside what the simulation saw, and hourly series for charts."""

from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from hybridcx.analytics.config import AnalyticsConfig
from hybridcx.analytics.erlang import agents_needed, staffing, traffic_erlangs
from hybridcx.analytics.kpis import KpiQuery, compute_kpis
from hybridcx.simulate.config import T0

if TYPE_CHECKING:
    from hybridcx.simulate.model import Simulation

TIER_TARGETS = {"1": (0.60, 0.70), "2": (0.25, 0.35), "3": (0.05, 0.10)}
TIER1_RESOLUTION_MIN = 0.85
SAVINGS_TARGET = (0.60, 0.70)


def _r(value: float | None, digits: int = 4) -> float | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return round(value, digits)


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def build_report(sim: Simulation, *, policy_name: str = "default") -> dict[str, Any]:
    cfg = sim.config
    horizon = cfg.hours * 3600.0
    end = max(horizon, sim.last_work_at)
    analytics = AnalyticsConfig(service_level_seconds=cfg.service_level_seconds)
    query = KpiQuery(T0, T0 + timedelta(seconds=horizon + 1))
    kpis = compute_kpis(sim.events, query, analytics, now=T0 + timedelta(seconds=end))
    kpis["operations"].pop("agents", None)  # per-agent rows: see "agents" (staffed-time occupancy)
    ops, cx = kpis["operations"], kpis["customer_experience"]
    convs = sim.conversations
    outcomes = Counter(c.outcome for c in convs)
    contained = outcomes["ai_resolved"] + outcomes["ai_unresolved"]
    queued = [c for c in convs if c.queued_at is not None]
    abandoned = outcomes["abandoned"]
    agents = _agents(sim, end)
    cost = ops["cost"]
    tiers = ops["tier_distribution"]["shares"]
    tier1_resolution = _r(outcomes["ai_resolved"] / contained) if contained else None
    summary = {
        "contacts": sum(1 for c in convs if c.attempt == 0),
        # Customers who came back about an unsolved issue (first-contact resolution counts them).
        "recontacts": sum(1 for c in convs if c.attempt > 0),
        "transfers": sum(1 for c in convs if c.transferred),
        "customer_turns": sim.turns,
        "ai_containment": ops["ai_containment"]["rate"],
        "tier_shares": {t: tiers.get(t, 0.0) for t in ("1", "2", "3")},
        "tier1_resolution_rate": tier1_resolution,
        "blended_cost_per_contact": cost["blended_per_contact"],
        "all_human_cost_per_contact": cost["all_human_baseline_per_contact"],
        "cost_savings_vs_all_human": cost["savings_vs_baseline"],
        "queued": ops["queue"]["queued"],  # queue entries: a transfer queues a second time
        "answered": ops["queue"]["answered"],
        "abandoned": abandoned,
        "abandonment_rate": _r(abandoned / ops["queue"]["queued"]) if queued else None,
        "csat_average": cx["csat"]["average"],
        "nps": cx["nps"]["score"],
        "first_contact_resolution": cx["first_contact_resolution"]["rate"],
        "service_level": ops["queue"]["service_level"],
        "service_level_seconds": cfg.service_level_seconds,
        "average_speed_of_answer_seconds": ops["queue"]["average_speed_of_answer_seconds"],
        "average_handle_time_seconds": cx["average_handle_time"]["seconds"],
        "agent_occupancy": agents["occupancy"],
        "outcomes": dict(sorted(outcomes.items())),
    }
    targets = {
        "tier_distribution": {
            t: {
                "share": summary["tier_shares"][t],
                "target": list(lo_hi),
                "met": lo_hi[0] <= (summary["tier_shares"][t] or 0.0) <= lo_hi[1],
            }
            for t, lo_hi in TIER_TARGETS.items()
        },
        "tier1_resolution": {
            "rate": tier1_resolution,
            "target_min": TIER1_RESOLUTION_MIN,
            "met": (tier1_resolution or 0.0) > TIER1_RESOLUTION_MIN,
        },
        "cost_savings": {
            "savings": cost["savings_vs_baseline"],
            "target": list(SAVINGS_TARGET),
            "met": (cost["savings_vs_baseline"] or 0.0) >= SAVINGS_TARGET[0],
        },
    }
    return {
        "simulation": {
            "policy": policy_name,
            "seed": cfg.seed,
            "contacts": cfg.contacts,
            "agents_on_duty": cfg.agents,
            "agents_total": len(sim.agents),
            "hours": cfg.hours,
            "staffed_hours": [cfg.open_hour, cfg.close_hour],
            "confidence_threshold": sim.policy.confidence_threshold,
            "start": T0.isoformat(),
            "events": len(sim.events),
        },
        "summary": summary,
        "targets": targets,
        "erlang_c": _erlang(sim, queued, summary),
        "pipeline": {
            "turn_reasons": dict(sim.reasons.most_common()),
            "escalation_reasons": cx["escalation"]["reasons"],
        },
        "kpis": kpis,
        "agents": agents,
        "hourly": _hourly(sim),
    }


def _staffed(hour_of_day: float, sim: Simulation) -> bool:
    return sim.config.open_hour <= hour_of_day < sim.config.close_hour


def _erlang(sim: Simulation, queued: list[Any], summary: dict[str, Any]) -> dict[str, Any]:
    """Agents Erlang C asks for (80% in 20 s) at the observed human arrival rate and AHT,
    beside the simulated staffing and what it achieved, over staffed hours only."""
    cfg = sim.config
    hours = math.ceil(cfg.hours)
    staffed_hours = sum(min(1.0, cfg.hours - h) for h in range(hours) if _staffed(h % 24, sim))
    in_staffed = [c for c in queued if _staffed((c.queued_at / 3600.0) % 24, sim)]
    per_hour = Counter(int(c.queued_at // 3600) for c in in_staffed)
    aht = summary["average_handle_time_seconds"]
    out: dict[str, Any] = {
        "target_service_level": cfg.service_level_target,
        "target_seconds": cfg.service_level_seconds,
        "capacity_per_agent": cfg.capacity,
        "staffed_hours_in_run": staffed_hours,
        "human_contacts_in_staffed_hours": len(in_staffed),
        "human_contacts_outside_staffed_hours": len(queued) - len(in_staffed),
        "observed_aht_seconds": aht,
    }
    if not in_staffed or not aht or staffed_hours <= 0:
        return {**out, "available": False}
    effective_aht = aht / cfg.capacity  # concurrent conversations share an agent's time
    target = (cfg.service_level_target, cfg.service_level_seconds)

    def plan(rate: float) -> dict[str, Any]:
        need = agents_needed(rate, effective_aht, *target)
        traffic = traffic_erlangs(rate, effective_aht)
        with_sim = staffing(cfg.agents, traffic, effective_aht, cfg.service_level_seconds)
        return {
            "arrivals_per_hour": round(rate, 2),
            "traffic_erlangs": round(traffic, 3),
            "agents_needed": need.agents,
            "needed_service_level": _r(need.service_level),
            "needed_asa_seconds": _r(need.average_speed_of_answer, 2),
            "needed_occupancy": _r(need.occupancy),
            "with_simulated_agents": {
                "agents": cfg.agents,
                "service_level": _r(with_sim.service_level),
                "asa_seconds": _r(with_sim.average_speed_of_answer, 2),
                "occupancy": _r(with_sim.occupancy),
            },
        }

    answered = [c for c in in_staffed if c.assigned_at is not None]
    within = sum(1 for c in answered if c.assigned_at - c.queued_at <= cfg.service_level_seconds)
    waits = [c.assigned_at - c.queued_at for c in answered]
    peak_hour, peak_count = max(per_hour.items(), key=lambda kv: (kv[1], -kv[0]))
    return {
        **out,
        "available": True,
        "average_staffed_hour": plan(len(in_staffed) / staffed_hours),
        "peak_hour": {"hour": peak_hour, **plan(float(peak_count))},
        "simulated_in_staffed_hours": {
            "agents": cfg.agents,
            "service_level": _r(within / len(in_staffed)),
            "asa_seconds": _r(sum(waits) / len(waits), 2) if waits else None,
            "abandonment_rate": _r(
                sum(1 for c in in_staffed if c.outcome == "abandoned") / len(in_staffed)
            ),
            "occupancy": summary["agent_occupancy"],
        },
        "note": (
            "Erlang C assumes Poisson arrivals, exponential handle times and no abandonment; "
            "the simulation has a daily curve, lognormal handle times and impatient customers."
        ),
    }


def _agents(sim: Simulation, end: float) -> dict[str, Any]:
    rows = []
    staffed_total = busy_total = 0.0
    for agent in sim.agents:
        shifts = [(s, e) for s, e in agent.shifts if s < end]
        staffed = sum(_overlap(s, (0.0, end)) for s in shifts)
        busy = sum(_overlap(b, s) for b in agent.busy for s in shifts)
        staffed_total += staffed
        busy_total += busy
        if staffed > 0 or agent.handled:
            rows.append(
                {
                    "agent_id": agent.id,
                    "skills": list(agent.skills),
                    "resolved": agent.handled,
                    "staffed_seconds": round(staffed, 1),
                    "busy_seconds": round(busy, 1),
                    "occupancy": _r(busy / staffed) if staffed else None,
                }
            )
    return {
        "occupancy": _r(busy_total / staffed_total) if staffed_total else None,
        "staffed_hours": round(staffed_total / 3600.0, 2),
        "busy_hours": round(busy_total / 3600.0, 2),
        "rows": rows,
    }


def _hourly(sim: Simulation) -> dict[str, Any]:
    cfg = sim.config
    n = math.ceil(cfg.hours)
    arrivals = {ch: [0] * n for ch in cfg.channel_mix}
    tiers = {t: [0] * n for t in ("1", "2", "3")}
    queued, abandoned, within = [0] * n, [0] * n, [0] * n
    wait_sum, answered = [0.0] * n, [0] * n
    for c in sim.conversations:
        h = min(n - 1, int(c.contact.arrival // 3600))
        arrivals.setdefault(c.contact.channel, [0] * n)[h] += 1
        tiers[str(min(3, max(1, c.tier)))][h] += 1
        if c.queued_at is None:
            continue
        q = min(n - 1, int(c.queued_at // 3600))
        queued[q] += 1
        if c.outcome == "abandoned":
            abandoned[q] += 1
        if c.assigned_at is not None:
            wait = c.assigned_at - c.queued_at
            answered[q] += 1
            wait_sum[q] += wait
            within[q] += wait <= cfg.service_level_seconds
    on_duty, occupancy = [], []
    for h in range(n):
        window = (h * 3600.0, (h + 1) * 3600.0)
        staffed = sum(_overlap(s, window) for a in sim.agents for s in a.shifts)
        busy = sum(_overlap(b, window) for a in sim.agents for b in a.busy)
        on_duty.append(round(staffed / 3600.0, 2))
        # Work past a shift's end (finishing a conversation) is capped at 100%.
        occupancy.append(_r(min(1.0, busy / staffed)) if staffed else None)
    return {
        "hours": n,
        "arrivals": arrivals,
        "tiers": tiers,
        "queued": queued,
        "abandoned": abandoned,
        "service_level": [_r(within[h] / queued[h]) if queued[h] else None for h in range(n)],
        "average_wait_seconds": [
            round(wait_sum[h] / answered[h], 1) if answered[h] else None for h in range(n)
        ],
        "agents_on_duty": on_duty,
        "occupancy": occupancy,
    }


# ---- comparing two runs ------------------------------------------------------------------------

COMPARED = (
    "ai_containment",
    "tier1_resolution_rate",
    "blended_cost_per_contact",
    "cost_savings_vs_all_human",
    "queued",
    "abandoned",
    "abandonment_rate",
    "service_level",
    "average_speed_of_answer_seconds",
    "average_handle_time_seconds",
    "agent_occupancy",
)


def compare(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Metric by metric, B minus A (same seeded traffic)."""
    sa, sb = a["summary"], b["summary"]
    rows: dict[str, Any] = {}
    for key in COMPARED:
        rows[key] = _delta(sa.get(key), sb.get(key))
    for t in ("1", "2", "3"):
        rows[f"tier_{t}_share"] = _delta(sa["tier_shares"].get(t), sb["tier_shares"].get(t))
    ea, eb = a["erlang_c"], b["erlang_c"]
    if ea.get("available") and eb.get("available"):
        rows["erlang_agents_needed_peak"] = _delta(
            ea["peak_hour"]["agents_needed"], eb["peak_hour"]["agents_needed"]
        )
    reasons = sorted(
        set(a["pipeline"]["escalation_reasons"]) | set(b["pipeline"]["escalation_reasons"])
    )
    return {
        "a": a["simulation"]["policy"],
        "b": b["simulation"]["policy"],
        "metrics": rows,
        "escalation_reasons": {
            r: _delta(
                a["pipeline"]["escalation_reasons"].get(r, 0),
                b["pipeline"]["escalation_reasons"].get(r, 0),
            )
            for r in reasons
        },
    }


def _delta(a: Any, b: Any) -> dict[str, Any]:
    diff = round(b - a, 4) if isinstance(a, int | float) and isinstance(b, int | float) else None
    return {"a": a, "b": b, "delta": diff}
