"""Who gets the next queued conversation, and in which order the queue is served."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hybridcx.pipeline.policy import QueuePriority, load_policy
from hybridcx.queue.priority import priority
from hybridcx.queue.strategy import STRATEGIES, AgentCandidate, LongestIdleStrategy, QueuedWork

NOW = datetime(2024, 5, 1, 12, 0, 0)


def agent(
    agent_id: str,
    *,
    skills: tuple[str, ...] = ("general",),
    capacity: int = 3,
    load: int = 0,
    idle_minutes: float | None = 5,
) -> AgentCandidate:
    idle_since = None if idle_minutes is None else NOW - timedelta(minutes=idle_minutes)
    return AgentCandidate(
        id=agent_id,
        name=agent_id.title(),
        skills=skills,
        capacity=capacity,
        load=load,
        idle_since=idle_since,
    )


def work(skill: str | None = None, excluded: tuple[str, ...] = ()) -> QueuedWork:
    return QueuedWork(
        conversation_id="conv-1",
        tier=2,
        required_skill=skill,
        channel="webchat",
        excluded_agents=excluded,
    )


def choose(w: QueuedWork, *candidates: AgentCandidate) -> str | None:
    picked = LongestIdleStrategy().choose(w, list(candidates))
    return None if picked is None else picked.id


# ---- LongestIdleStrategy ----------------------------------------------------------------------


def test_picks_the_agent_with_the_required_skill() -> None:
    assert (
        choose(
            work("premium"),
            agent("ann", skills=("general",), idle_minutes=100),
            agent("bob", skills=("general", "premium"), idle_minutes=1),
        )
        == "bob"
    )


def test_no_required_skill_means_anyone() -> None:
    assert choose(work(None), agent("ann", skills=())) == "ann"


def test_skips_full_agents() -> None:
    assert (
        choose(
            work(),
            agent("ann", capacity=2, load=2, idle_minutes=100),
            agent("bob", capacity=2, load=1, idle_minutes=1),
        )
        == "bob"
    )


def test_over_capacity_and_zero_capacity_agents_are_skipped() -> None:
    assert choose(work(), agent("ann", capacity=1, load=5), agent("bob", capacity=0)) is None


def test_prefers_lower_load_over_longer_idle() -> None:
    assert (
        choose(
            work(),
            agent("ann", load=2, idle_minutes=600),
            agent("bob", load=0, idle_minutes=1),
            agent("cat", load=1, idle_minutes=300),
        )
        == "bob"
    )


def test_equal_load_prefers_the_longest_idle() -> None:
    assert (
        choose(
            work(),
            agent("ann", load=1, idle_minutes=5),
            agent("bob", load=1, idle_minutes=50),
            agent("cat", load=1, idle_minutes=20),
        )
        == "bob"
    )


def test_never_assigned_counts_as_idle_the_longest() -> None:
    assert (
        choose(
            work(),
            agent("ann", idle_minutes=10_000),
            agent("bob", idle_minutes=None),
        )
        == "bob"
    )
    # ...but a lower load still wins over never having been assigned
    assert (
        choose(
            work(),
            agent("ann", load=0, idle_minutes=1),
            agent("bob", load=1, idle_minutes=None),
        )
        == "ann"
    )


def test_respects_excluded_agents() -> None:
    assert (
        choose(
            work(excluded=("bob",)),
            agent("ann", idle_minutes=1),
            agent("bob", idle_minutes=100),
        )
        == "ann"
    )


def test_returns_none_when_nobody_fits() -> None:
    assert choose(work()) is None
    assert choose(work("premium"), agent("ann", skills=("general",))) is None
    assert choose(work(excluded=("ann",)), agent("ann")) is None
    assert (
        choose(
            work("premium", excluded=("bob",)),
            agent("ann", skills=("general",)),
            agent("bob", skills=("premium",)),
            agent("cat", skills=("premium",), load=3, capacity=3),
        )
        is None
    )


def test_choice_does_not_depend_on_candidate_order() -> None:
    candidates = [
        agent("ann", load=1, idle_minutes=5),
        agent("bob", load=0, idle_minutes=7),
        agent("cat", load=0, idle_minutes=7),
        agent("dan", load=0, idle_minutes=3),
    ]
    first = choose(work(), *candidates)
    assert first in {"bob", "cat"}
    assert choose(work(), *reversed(candidates)) == first


def test_registry_offers_longest_idle() -> None:
    assert STRATEGIES["longest_idle"] is LongestIdleStrategy
    assert LongestIdleStrategy.name == "longest_idle"


# ---- priority -----------------------------------------------------------------------------------

WEIGHTS = load_policy().queue


def prio(
    tier: int = 1,
    vip: bool = False,
    waited_minutes: float = 0.0,
    weights: QueuePriority = WEIGHTS,
) -> float:
    return priority(
        tier=tier,
        vip=vip,
        queued_at=NOW - timedelta(minutes=waited_minutes),
        now=NOW,
        weights=weights,
    )


def test_higher_tier_is_served_first() -> None:
    assert prio(tier=3) > prio(tier=2) > prio(tier=1)


def test_vip_gets_a_bonus() -> None:
    assert prio(tier=2, vip=True) > prio(tier=2, vip=False)
    assert prio(tier=2, vip=True) - prio(tier=2, vip=False) == pytest.approx(WEIGHTS.vip_bonus)


def test_waiting_increases_priority() -> None:
    assert prio(waited_minutes=10) > prio(waited_minutes=1) > prio(waited_minutes=0)
    assert prio(waited_minutes=10) - prio(waited_minutes=0) == pytest.approx(
        10 * WEIGHTS.per_waiting_minute
    )


def test_a_long_wait_eventually_beats_a_higher_tier() -> None:
    assert prio(tier=1, waited_minutes=120) > prio(tier=2, waited_minutes=0)


def test_clock_skew_never_lowers_priority() -> None:
    assert prio(waited_minutes=-5) == prio(waited_minutes=0)


def test_custom_weights_are_used() -> None:
    weights = QueuePriority(tier_weight={1: 10.0, 2: 20.0}, vip_bonus=1.0, per_waiting_minute=0.0)
    assert prio(tier=2, weights=weights) == pytest.approx(20.0)
    assert prio(tier=1, vip=True, waited_minutes=100, weights=weights) == pytest.approx(11.0)
