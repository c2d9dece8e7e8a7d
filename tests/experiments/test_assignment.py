"""Assignment by customer: deterministic, balanced, independent across experiments, and
monotone for rollouts (stepping up never moves a treated customer back to control)."""

from __future__ import annotations

from collections import Counter

from scipy.stats import chisquare

from hybridcx.experiments.assignment import assign, bucket, pick_arm

IDS = [f"customer-{i:05d}" for i in range(10_000)]
HALF = [{"name": "control", "share": 0.5}, {"name": "treatment", "share": 0.5}]


def test_deterministic() -> None:
    first = [assign("exp-1", c, HALF) for c in IDS[:500]]
    assert first == [assign("exp-1", c, HALF) for c in IDS[:500]]
    assert bucket("exp-1", "c") == bucket("exp-1", "c") != bucket("exp-2", "c")


def test_balanced_50_50_chi_square() -> None:
    counts = Counter(assign("exp-1", c, HALF) for c in IDS)
    assert set(counts) == {"control", "treatment"}
    result = chisquare([counts["control"], counts["treatment"]])
    assert result.pvalue > 0.01, counts


def test_balanced_uneven_three_way_split_chi_square() -> None:
    arms = [
        {"name": "control", "share": 0.5},
        {"name": "b", "share": 0.3},
        {"name": "c", "share": 0.2},
    ]
    counts = Counter(assign("exp-3", c, arms) for c in IDS)
    observed = [counts["control"], counts["b"], counts["c"]]
    result = chisquare(observed, f_exp=[5000, 3000, 2000])
    assert result.pvalue > 0.01, counts


def test_experiments_are_independent() -> None:
    a = [assign("exp-a", c, HALF) for c in IDS]
    b = [assign("exp-b", c, HALF) for c in IDS]
    both = Counter(zip(a, b, strict=True))
    result = chisquare([both[k] for k in sorted(both)])  # 4 cells, 2,500 each if independent
    assert len(both) == 4 and result.pvalue > 0.01, both


def test_rollout_steps_only_add_customers_to_treatment() -> None:
    def arms(share: float) -> list[dict[str, object]]:
        return [{"name": "treatment", "share": share}, {"name": "control", "share": 1 - share}]

    treated = {}
    for share in (0.01, 0.1, 0.5, 1.0):
        now = {c for c in IDS if assign("roll", c, arms(share)) == "treatment"}
        assert abs(len(now) / len(IDS) - share) < 0.02 + 0.1 * share
        for previous in treated.values():
            assert previous <= now
        treated[share] = now
    assert pick_arm(arms(0.0), 0.0) == "control"
