"""The fairness audit on synthetic event logs: a planted disparity is flagged, equal service is
not, and a gap must be both large enough and significant."""

from __future__ import annotations

from hybridcx.analytics.facts import replay
from hybridcx.fairness.audit import FairnessConfig, audit, two_proportion_z
from tests.fairness.synthetic import Population


def run(pop: Population, **config: float) -> dict:  # type: ignore[type-arg]
    log, segments = pop.build()
    facts = list(replay(log.sorted()).values())
    return audit(
        facts,
        lambda f: segments[f.customer_id or ""],
        dimension="language",
        config=FairnessConfig(**config),  # type: ignore[arg-type]
    )


def flagged(report: dict) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    return {(f["segment"], f["metric"]) for f in report["flags"]}


def test_spanish_speakers_escalated_three_times_as_often_are_flagged() -> None:
    report = run(Population({"en": 300, "es": 150}, {"en": 1, "es": 3}))
    es = report["segments"]["es"]["metrics"]
    assert es["escalation_rate"]["value"] == 0.3
    assert report["segments"]["en"]["metrics"]["escalation_rate"]["value"] == 0.1
    assert ("es", "escalation_rate") in flagged(report)
    assert ("es", "ai_containment") in flagged(report)  # the mirror image of escalation
    test = next(
        t for t in report["flags"] if t["metric"] == "escalation_rate" and t["segment"] == "es"
    )
    assert test["test"] == "z-test" and test["q_value"] < 0.001 and test["difference"] == 0.2
    assert report["omnibus"]["escalation_rate"]["p_value"] < 0.001


def test_equal_service_is_not_flagged() -> None:
    report = run(Population({"en": 300, "es": 150, "fr": 60}, {"en": 2, "es": 2, "fr": 2}))
    assert report["flags"] == []
    assert all(t["q_value"] > 0.05 for t in report["tests"])


def test_longer_waits_are_flagged_with_mann_whitney() -> None:
    pop = Population({"en": 200, "es": 200}, {"en": 5, "es": 5}, wait_seconds={"en": 30, "es": 300})
    report = run(pop)
    [wait] = [
        f for f in report["flags"] if f["metric"] == "waiting_seconds" and f["segment"] == "es"
    ]
    assert wait["test"] == "mann-whitney" and wait["value"] > 5 * wait["rest"]
    assert ("es", "escalation_rate") not in flagged(report)


def test_lower_csat_is_flagged() -> None:
    pop = Population({"en": 150, "es": 150}, {"en": 0, "es": 0}, csat={"en": 5, "es": 2})
    assert ("es", "csat") in flagged(run(pop))


def test_a_gap_needs_enough_data_and_a_big_enough_difference() -> None:
    small = run(Population({"en": 300, "es": 10}, {"en": 1, "es": 5}))
    assert small["flags"] == []  # 10 conversations: below min_segment_size, not tested
    assert not [t for t in small["tests"] if t["segment"] == "es"]
    # A real but smaller difference (10% vs 20%) under a 20-point threshold: not flagged.
    modest = run(Population({"en": 3000, "es": 3000}, {"en": 1, "es": 2}), rate_difference=0.2)
    assert modest["flags"] == []
    assert any(t["significant"] for t in modest["tests"])  # significant, but under the threshold


def test_two_proportion_z_matches_the_textbook() -> None:
    # 30/100 vs 10/100: z = 3.536, two-sided p = 0.000407
    assert abs(two_proportion_z(30, 100, 10, 100) - 0.000407) < 1e-5
    assert two_proportion_z(0, 0, 1, 2) == 1.0
