"""The tests against textbook values, and the sequential test's behaviour under peeking."""

from __future__ import annotations

import random

import pytest
from scipy import stats

from hybridcx.experiments.stats import harm_beyond_bound, msprt_p_value, two_proportions, welch


def test_two_proportion_z_matches_the_textbook() -> None:
    # 200/1000 vs 250/1000: pooled p = 0.225, z = 0.05 / sqrt(.225*.775*.002) = 2.6774
    c = two_proportions("conv", 200, 1000, 250, 1000)
    assert c.difference == pytest.approx(0.05)
    assert c.p_value == pytest.approx(2 * stats.norm.sf(2.6774), rel=1e-3)
    assert c.ci_low is not None and c.ci_high is not None and c.ci_low > 0  # significant


def test_welch_matches_scipy() -> None:
    rng = random.Random(3)
    a = [rng.gauss(4.0, 1.0) for _ in range(40)]
    b = [rng.gauss(3.4, 1.5) for _ in range(55)]
    c = welch("csat", a, b)
    ref = stats.ttest_ind(b, a, equal_var=False)
    assert c.p_value == pytest.approx(ref.pvalue, rel=1e-6)
    assert c.difference == pytest.approx(sum(b) / 55 - sum(a) / 40)


def test_too_little_data_gives_no_p_value() -> None:
    assert welch("csat", [4.0], [3.0, 2.0]).p_value is None
    assert two_proportions("x", 0, 0, 3, 10).p_value is None


def test_msprt_is_always_valid_under_continuous_peeking() -> None:
    """Under no difference, stopping at the first p <= 0.05 over 100 looks (which makes a
    fixed-horizon z test reject far more often than 5%) stays near or under 5%."""
    rng = random.Random(11)
    runs, rejected_seq, rejected_fixed = 300, 0, 0
    for _ in range(runs):
        xc = xt = n = 0
        seq = fixed = False
        for _ in range(100):
            for _ in range(20):
                xc += rng.random() < 0.3
                xt += rng.random() < 0.3
            n += 20
            comp = two_proportions("r", xc, n, xt, n, tau=0.05)
            seq = seq or (comp.sequential_p_value or 1) <= 0.05
            fixed = fixed or (comp.p_value or 1) <= 0.05
        rejected_seq += seq
        rejected_fixed += fixed
    assert rejected_fixed / runs > 0.15  # peeking breaks the fixed-horizon test
    assert rejected_seq / runs <= 0.07


def test_guardrail_needs_harm_beyond_the_bound_with_significance() -> None:
    # +20 points with a small variance: clearly beyond a 5-point bound.
    assert harm_beyond_bound(0.20, 0.0005, bound=0.05, alpha=0.05, tau=0.05)[0] is True
    # +6 points, noisy: beyond the bound but not significantly.
    assert harm_beyond_bound(0.06, 0.01, bound=0.05, alpha=0.05, tau=0.05)[0] is False
    # Better than control: never a breach.
    assert harm_beyond_bound(-0.2, 0.0001, bound=0.0, alpha=0.05, tau=0.05) == (False, 1.0)
    assert msprt_p_value(0.0, 0.01, tau=0.05) == 1.0  # no evidence at all
    assert msprt_p_value(0.3, 0.001, tau=0.05) < msprt_p_value(0.1, 0.001, tau=0.05) < 1.0
