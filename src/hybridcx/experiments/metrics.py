"""Metrics per arm, from the conversation event log, through the analytics KPI functions.

Each arm's conversations are replayed into facts and given to ``compute_kpis_from_facts``, so an
arm's containment, escalation, CSAT, handle time and first-contact resolution are defined exactly
as the analytics report defines them. The comparisons then test treatment against control."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from hybridcx.analytics.config import AnalyticsConfig
from hybridcx.analytics.facts import ConversationFacts, EventRow, replay
from hybridcx.analytics.kpis import KpiQuery, compute_kpis_from_facts
from hybridcx.experiments.stats import (
    Comparison,
    harm_beyond_bound,
    proportion_variance,
    two_proportions,
    welch,
)

# Metric -> (kind, KPI path); "rate" metrics are proportions, "mean" metrics per-conversation.
METRICS: dict[str, str] = {
    "containment": "rate",
    "escalation_rate": "rate",
    "resolution": "rate",
    "csat": "mean",
    "handle_seconds": "mean",
}
# Mixing scale of the sequential test per metric: the size of effect worth detecting.
TAU = {"containment": 0.05, "escalation_rate": 0.05, "resolution": 0.05, "csat": 0.5,
       "handle_seconds": 60.0}  # fmt: skip


def arm_facts(
    events: Iterable[EventRow], arm_of: Mapping[str, str], config: AnalyticsConfig
) -> dict[str, list[ConversationFacts]]:
    facts = replay(events, meta_intents=config.meta_intents)
    by_arm: dict[str, list[ConversationFacts]] = {}
    for cid, arm in arm_of.items():
        if cid in facts:
            by_arm.setdefault(arm, []).append(facts[cid])
    return by_arm


def samples(
    cohort: Sequence[ConversationFacts], kpis: Mapping[str, Any]
) -> dict[str, tuple[int, int] | list[float]]:
    """Per metric: (successes, trials) for rates, the per-conversation values for means."""
    cx, ops = kpis["customer_experience"], kpis["operations"]
    fcr = cx["first_contact_resolution"]
    return {
        "containment": (ops["ai_containment"]["contained"], len(cohort)),
        "escalation_rate": (cx["escalation"]["escalated"], len(cohort)),
        "resolution": (fcr["resolved_first_contact"], fcr["finished"]),
        "csat": [float(f.csat) for f in cohort if f.csat is not None],
        "handle_seconds": [h for f in cohort if (h := f.handle_seconds) is not None],
    }


def arm_metrics(
    events: Iterable[EventRow],
    arm_of: Mapping[str, str],
    *,
    arms: Sequence[str],
    start: datetime,
    now: datetime,
    config: AnalyticsConfig | None = None,
) -> dict[str, dict[str, Any]]:
    """Per arm: the KPI report of its conversations and the raw samples for the tests."""
    config = config or AnalyticsConfig()
    by_arm = arm_facts(events, arm_of, config)
    # The cohort is the arm's conversations (all started after the experiment did).
    query = KpiQuery(datetime.min, datetime.max)
    out: dict[str, dict[str, Any]] = {}
    for arm in arms:
        cohort = by_arm.get(arm, [])
        kpis = compute_kpis_from_facts(cohort, query, config, now=now)
        s = samples(cohort, kpis)
        out[arm] = {
            "conversations": len(cohort),
            "summary": summary(s),
            "samples": s,
            "kpis": kpis,
        }
    return out


def summary(s: Mapping[str, Any]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for metric, kind in METRICS.items():
        v = s[metric]
        if kind == "rate":
            x, n = v
            out[metric] = round(x / n, 4) if n else None
        else:
            out[metric] = round(sum(v) / len(v), 3) if v else None
    return out


def compare(
    metric: str, control: Mapping[str, Any], treatment: Mapping[str, Any], *, alpha: float
) -> Comparison:
    c, t = control["samples"][metric], treatment["samples"][metric]
    if METRICS[metric] == "rate":
        return two_proportions(metric, c[0], c[1], t[0], t[1], alpha=alpha, tau=TAU[metric])
    return welch(metric, c, t, alpha=alpha, tau=TAU[metric])


def guardrail_check(
    rule: Mapping[str, Any],
    control: Mapping[str, Any],
    treatment: Mapping[str, Any],
    *,
    alpha: float,
    min_samples: int,
) -> dict[str, Any]:
    """One guardrail: {metric, max_increase | max_decrease}. Breached when the treatment is
    worse than control by more than the bound, significantly under the sequential test."""
    metric = str(rule["metric"])
    worse_up = "max_increase" in rule
    bound = float(rule["max_increase"] if worse_up else rule["max_decrease"])
    comp = compare(metric, control, treatment, alpha=alpha)
    result: dict[str, Any] = {
        "metric": metric,
        "direction": "increase" if worse_up else "decrease",
        "bound": bound,
        "difference": comp.difference,
        "breached": False,
        "p_value": None,
        "n_control": comp.n_control,
        "n_treatment": comp.n_treatment,
    }
    if comp.difference is None or min(comp.n_control, comp.n_treatment) < min_samples:
        result["status"] = "collecting"
        return result
    harm = comp.difference if worse_up else -comp.difference
    c, t = control["samples"][metric], treatment["samples"][metric]
    if METRICS[metric] == "rate":
        var = proportion_variance(c[0], c[1], t[0], t[1])
    else:
        var = _mean_var(c) + _mean_var(t)
    breached, p = harm_beyond_bound(harm, var, bound=bound, alpha=alpha, tau=TAU[metric])
    result.update(breached=breached, p_value=p, status="breached" if breached else "ok")
    return result


def _mean_var(values: Sequence[float]) -> float:
    n = len(values)
    if n < 2:
        return 0.0
    m = sum(values) / n
    return sum((v - m) ** 2 for v in values) / (n - 1) / n
