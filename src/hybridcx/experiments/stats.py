"""Significance tests: fixed-horizon (two-proportion z, Welch t) and sequential (mSPRT).

Fixed-horizon p-values are valid only at a sample size chosen in advance; looking at them every
minute and stopping at the first small one inflates false positives. Guardrails are checked
continually, so they use the mixture sequential probability ratio test (Johari et al., "Always
valid inference", 2017): with the estimate's variance V and a normal mixing distribution of
variance tau^2 around the null value theta0,

    Lambda = sqrt(V / (V + tau^2)) * exp(tau^2 (theta - theta0)^2 / (2 V (V + tau^2)))

and 1/Lambda is a p-value that stays valid however often it is looked at (reject when
Lambda >= 1/alpha)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from scipy import stats as sps


@dataclass(frozen=True)
class Comparison:
    """Treatment minus control for one metric."""

    metric: str
    control: float | None
    treatment: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None  # fixed horizon, two-sided
    sequential_p_value: float | None  # always valid (mSPRT), two-sided, null: no difference
    test: str
    n_control: int
    n_treatment: int

    def to_dict(self) -> dict[str, Any]:
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def _smoothed(x: int, n: int) -> float:
    return (x + 0.5) / (n + 1.0)  # keeps the variance above zero at 0% or 100%


def proportion_variance(x1: int, n1: int, x2: int, n2: int) -> float:
    p1, p2 = _smoothed(x1, n1), _smoothed(x2, n2)
    return p1 * (1 - p1) / max(n1, 1) + p2 * (1 - p2) / max(n2, 1)


def msprt_p_value(estimate: float, variance: float, *, theta0: float = 0.0, tau: float) -> float:
    """Always-valid two-sided p-value of ``estimate`` (variance ``variance``) against theta0."""
    if variance <= 0:
        return 0.0 if estimate != theta0 else 1.0
    t2 = tau * tau
    log_lambda = 0.5 * math.log(variance / (variance + t2)) + (
        t2 * (estimate - theta0) ** 2 / (2 * variance * (variance + t2))
    )
    return float(min(1.0, math.exp(-log_lambda)))


def two_proportions(
    metric: str, x_c: int, n_c: int, x_t: int, n_t: int, *, alpha: float = 0.05, tau: float = 0.05
) -> Comparison:
    if n_c == 0 or n_t == 0:
        return _empty(
            metric,
            "two-proportion z",
            n_c,
            n_t,
            x_c / n_c if n_c else None,
            x_t / n_t if n_t else None,
        )
    p_c, p_t = x_c / n_c, x_t / n_t
    diff = p_t - p_c
    pooled = (x_c + x_t) / (n_c + n_t)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n_c + 1 / n_t))
    p = 1.0 if se0 == 0 else float(2 * sps.norm.sf(abs(diff) / se0))
    var = proportion_variance(x_c, n_c, x_t, n_t)
    z = float(sps.norm.ppf(1 - alpha / 2))
    return Comparison(
        metric, p_c, p_t, diff, diff - z * math.sqrt(var), diff + z * math.sqrt(var), p,
        msprt_p_value(diff, var, tau=tau), "two-proportion z", n_c, n_t,
    )  # fmt: skip


def _var(values: Sequence[float]) -> float:
    if len(values) < 2:
        return 0.0
    m = sum(values) / len(values)
    return sum((v - m) ** 2 for v in values) / (len(values) - 1)


def welch(
    metric: str,
    control: Sequence[float],
    treatment: Sequence[float],
    *,
    alpha: float = 0.05,
    tau: float = 0.5,
) -> Comparison:
    n_c, n_t = len(control), len(treatment)
    if n_c < 2 or n_t < 2:
        return _empty(metric, "Welch t", n_c, n_t, _m(control), _m(treatment))
    m_c, m_t = _m(control), _m(treatment)
    assert m_c is not None and m_t is not None
    a, b = _var(control) / n_c, _var(treatment) / n_t
    diff, se = m_t - m_c, math.sqrt(a + b)
    if se == 0:
        p, half = (1.0 if diff == 0 else 0.0), 0.0
    else:
        df = (a + b) ** 2 / ((a * a) / (n_c - 1) + (b * b) / (n_t - 1))
        p = float(2 * sps.t.sf(abs(diff) / se, df))
        half = float(sps.t.ppf(1 - alpha / 2, df)) * se
    return Comparison(
        metric, m_c, m_t, diff, diff - half, diff + half, p,
        msprt_p_value(diff, se * se, tau=tau), "Welch t", n_c, n_t,
    )  # fmt: skip


def _m(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _empty(
    metric: str, test: str, n_c: int, n_t: int, c: float | None, t: float | None
) -> Comparison:
    diff = None if c is None or t is None else t - c
    return Comparison(metric, c, t, diff, None, None, None, None, test, n_c, n_t)


def harm_beyond_bound(
    harm: float, variance: float, *, bound: float, alpha: float, tau: float
) -> tuple[bool, float]:
    """Is the harm (a difference oriented so that positive is worse) significantly above
    ``bound``? One-sided mSPRT against theta0 = bound: (breached, always-valid p-value)."""
    if harm <= bound:
        return False, 1.0
    # The two-sided mixture p-value, used one-sided: conservative (never smaller than needed).
    p = msprt_p_value(harm, variance, theta0=bound, tau=tau)
    return p <= alpha, p
