"""The fairness audit as pure functions over the analytics facts (no I/O).

For each segment of a dimension (channel, language, value tier, an operator's attribute), every
metric is compared with the rest of the population: rates (AI containment, escalation,
first-contact resolution) with a two-proportion z-test, times (waiting) and CSAT with a
Mann-Whitney U test. All p-values of one report are corrected together (Benjamini-Hochberg);
a difference is flagged when it is larger than the configured threshold AND significant after
the correction. A chi-square test over all segments is reported per rate as an omnibus check.

The per-segment numbers come from the same KPI functions as the analytics report
(hybridcx.analytics.kpis), so the audit never disagrees with the dashboards.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from scipy import stats

from hybridcx.analytics.facts import ConversationFacts
from hybridcx.analytics.kpis import containment, escalation, first_contact_resolution


class FairnessConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alpha: float = Field(default=0.05, gt=0, lt=1, description="After Benjamini-Hochberg.")
    rate_difference: float = Field(
        default=0.10, ge=0, le=1, description="Absolute gap in a rate (0.10 = 10 points)."
    )
    relative_time_difference: float = Field(
        default=0.25, ge=0, description="Waiting time gap relative to the rest (0.25 = 25%)."
    )
    csat_difference: float = Field(default=0.5, ge=0, description="Gap in mean rating (1-5).")
    min_segment_size: int = Field(default=20, ge=2, description="Smaller segments are not tested.")
    fcr_days: float = Field(default=7, gt=0, le=90)


@dataclass(frozen=True)
class Metric:
    name: str
    kind: str  # rate | time | score


RATES = (
    Metric("ai_containment", "rate"),
    Metric("escalation_rate", "rate"),
    Metric("first_contact_resolution", "rate"),
)
CONTINUOUS = (Metric("waiting_seconds", "time"), Metric("csat", "score"))


def _counts(
    metric: str,
    cohort: Sequence[ConversationFacts],
    everyone: Sequence[ConversationFacts],
    days: float,
) -> tuple[int, int]:
    """(successes, trials) for a rate metric, from the analytics KPI functions."""
    if metric == "ai_containment":
        return containment(cohort)["contained"], len(cohort)
    if metric == "escalation_rate":
        return escalation(cohort)["escalated"], len(cohort)
    fcr = first_contact_resolution(cohort, everyone, days=days)
    return fcr["resolved_first_contact"], fcr["finished"]


def _values(metric: str, cohort: Sequence[ConversationFacts]) -> list[float]:
    if metric == "csat":
        return [float(f.csat) for f in cohort if f.csat is not None]
    # Waiting: each answered queue entry, as in the queue KPIs' average speed of answer.
    return [w for f in cohort for w in f.queue_waits if w is not None]


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided p-value of H0: both groups have the same rate (pooled z-test)."""
    if n1 == 0 or n2 == 0:
        return 1.0
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = (x1 / n1 - x2 / n2) / se
    return float(2 * stats.norm.sf(abs(z)))


def mann_whitney(a: Sequence[float], b: Sequence[float]) -> float:
    if len(a) < 2 or len(b) < 2 or len(set(a) | set(b)) < 2:
        return 1.0
    return float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)


def chi_square(table: list[list[int]]) -> float | None:
    rows = [r for r in table if sum(r) > 0]
    if len(rows) < 2 or any(sum(col) == 0 for col in zip(*rows, strict=True)):
        return None
    return float(stats.chi2_contingency(rows).pvalue)


def audit(
    facts: Sequence[ConversationFacts],
    segment_of: Callable[[ConversationFacts], str],
    *,
    dimension: str,
    config: FairnessConfig,
    everyone: Sequence[ConversationFacts] | None = None,
) -> dict[str, Any]:
    """The report for one dimension. ``facts``: the window's cohort; ``everyone``: the cohort
    plus later conversations (so first-contact resolution sees re-contacts)."""
    everyone = list(everyone if everyone is not None else facts)
    groups: dict[str, list[ConversationFacts]] = defaultdict(list)
    for f in facts:
        groups[segment_of(f)].append(f)
    segments: dict[str, dict[str, Any]] = {}
    tests: list[dict[str, Any]] = []
    for name, cohort in sorted(groups.items()):
        rest = [f for f in facts if segment_of(f) != name]
        row: dict[str, Any] = {"conversations": len(cohort), "metrics": {}}
        testable = len(cohort) >= config.min_segment_size and len(rest) >= config.min_segment_size
        for metric in RATES:
            x1, n1 = _counts(metric.name, cohort, everyone, config.fcr_days)
            x2, n2 = _counts(metric.name, rest, everyone, config.fcr_days)
            value, other = (x1 / n1 if n1 else None), (x2 / n2 if n2 else None)
            row["metrics"][metric.name] = {"value": _r(value), "n": n1}
            if testable and value is not None and other is not None:
                tests.append(
                    _test(name, metric, value, other, two_proportion_z(x1, n1, x2, n2), "z-test")
                )
        for metric in CONTINUOUS:
            a, b = _values(metric.name, cohort), _values(metric.name, rest)
            value = statistics.fmean(a) if a else None
            other = statistics.fmean(b) if b else None
            row["metrics"][metric.name] = {"value": _r(value), "n": len(a)}
            if testable and len(a) >= 2 and len(b) >= 2 and value is not None and other is not None:
                tests.append(_test(name, metric, value, other, mann_whitney(a, b), "mann-whitney"))
        segments[name] = row
    _benjamini_hochberg(tests)
    flags = []
    for t in tests:
        t["exceeds_threshold"] = _exceeds(t, config)
        t["significant"] = t["q_value"] < config.alpha
        t["flagged"] = t["exceeds_threshold"] and t["significant"]
        if t["flagged"]:
            flags.append(t)
    return {
        "dimension": dimension,
        "conversations": len(facts),
        "segments": segments,
        "omnibus": _omnibus(groups, everyone, config),
        "tests": tests,
        "flags": flags,
    }


def _test(
    segment: str, metric: Metric, value: float, rest: float, p: float, method: str
) -> dict[str, Any]:
    return {
        "segment": segment,
        "metric": metric.name,
        "kind": metric.kind,
        "value": _r(value),
        "rest": _r(rest),
        "difference": _r(value - rest),
        "ratio": _r(value / rest) if rest else None,
        "test": method,
        "p_value": p,
    }


def _exceeds(t: Mapping[str, Any], config: FairnessConfig) -> bool:
    gap = abs(float(t["difference"]))
    if t["kind"] == "rate":
        return gap >= config.rate_difference
    if t["kind"] == "score":
        return gap >= config.csat_difference
    rest = float(t["rest"])
    return rest > 0 and gap / rest >= config.relative_time_difference


def _benjamini_hochberg(tests: list[dict[str, Any]]) -> None:
    if not tests:
        return
    q = stats.false_discovery_control([t["p_value"] for t in tests], method="bh")
    for t, value in zip(tests, q, strict=True):
        t["q_value"] = float(value)
        t["p_value"] = float(t["p_value"])


def _omnibus(
    groups: Mapping[str, Sequence[ConversationFacts]],
    everyone: Sequence[ConversationFacts],
    config: FairnessConfig,
) -> dict[str, Any]:
    big = {k: v for k, v in groups.items() if len(v) >= config.min_segment_size}
    out: dict[str, Any] = {}
    for metric in RATES:
        table = []
        for cohort in big.values():
            x, n = _counts(metric.name, cohort, everyone, config.fcr_days)
            table.append([x, n - x])
        out[metric.name] = {"test": "chi-square", "p_value": chi_square(table)}
    return out


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
