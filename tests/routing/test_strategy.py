"""Predictive assignment: picks the best expected outcome, records why, guards the service
level, and falls back to longest-idle (saying why) without a usable model."""

from __future__ import annotations

from datetime import datetime, timedelta

from hybridcx.config import Settings
from hybridcx.queue.strategy import STRATEGIES, AgentCandidate, LongestIdleStrategy, QueuedWork
from hybridcx.routing.model import OutcomeModel
from hybridcx.routing.store import FileModelStore, StaticModelStore
from hybridcx.routing.strategy import PredictiveStrategy, SkillsBasedStrategy, decide
from hybridcx.runtime import _strategy
from tests.routing.test_model import outcomes

NOW = datetime(2026, 3, 10, 10, 0, 0)


def agent(agent_id: str, *, idle_minutes: float = 5, load: int = 0, skills=("general",)):
    return AgentCandidate(
        id=agent_id,
        name=agent_id,
        skills=tuple(skills),
        capacity=3,
        load=load,
        idle_since=NOW - timedelta(minutes=idle_minutes),
    )


def work(intent: str = "order_status", *, waiting: float = 10.0, **kw) -> QueuedWork:
    return QueuedWork(
        "conv-1", 2, None, "webchat", intent=intent, waiting_seconds=waiting, now=NOW, **kw
    )


MODEL = OutcomeModel.train(
    outcomes(
        {
            ("ann", "order_status"): (10, 40),
            ("bob", "order_status"): (45, 5),
            ("ann", "password_reset"): (45, 5),
            ("bob", "password_reset"): (10, 40),
        }
    ),
    trained_at=NOW - timedelta(hours=1),
)
# Ann has been idle longer: the baseline would pick her.
CANDIDATES = [agent("ann", idle_minutes=20), agent("bob", idle_minutes=2)]


def test_picks_the_agent_with_the_best_expected_outcome_and_records_it() -> None:
    strategy = PredictiveStrategy(StaticModelStore(MODEL))
    assert LongestIdleStrategy().choose(work(), CANDIDATES).id == "ann"  # type: ignore[union-attr]
    choice, decision = decide(strategy, work("order_status", vip=True), CANDIDATES)
    assert choice is not None and choice.id == "bob"
    assert decide(strategy, work("password_reset"), CANDIDATES)[0].id == "ann"  # type: ignore[union-attr]
    assert decision is not None
    event = decision.to_event()
    assert event["used"] == "predictive" and event["fallback_reason"] is None
    assert event["chosen_agent_id"] == "bob"
    assert event["features"]["intent"] == "order_status" and event["features"]["vip"] is True
    assert event["features"]["hour"] == 10 and event["features"]["waiting_seconds"] == 10.0
    assert event["model"]["version"] == MODEL.version
    by_agent = {c["agent_id"]: c for c in event["candidates"]}
    assert set(by_agent) == {"ann", "bob"}
    assert by_agent["bob"]["resolution"] > by_agent["ann"]["resolution"]
    assert by_agent["bob"]["utility"] > by_agent["ann"]["utility"]
    assert {"handle_seconds", "csat", "samples"} <= set(by_agent["bob"])


def test_falls_back_without_a_model_and_says_why() -> None:
    strategy = PredictiveStrategy(StaticModelStore(None))
    choice, decision = decide(strategy, work(), CANDIDATES)
    assert choice is not None and choice.id == "ann"  # longest idle
    assert decision is not None
    assert decision.used == "longest_idle" and decision.fallback_reason == "model_missing"
    assert decision.features["intent"] == "order_status"


def test_falls_back_when_the_model_is_stale() -> None:
    strategy = PredictiveStrategy(StaticModelStore(MODEL), max_age=timedelta(minutes=30))
    choice, decision = decide(strategy, work(), CANDIDATES)
    assert choice is not None and choice.id == "ann"
    assert decision is not None and decision.fallback_reason == "model_stale"


def test_falls_back_when_a_decision_is_over_its_time_budget() -> None:
    ticks = iter(range(0, 1000, 5))  # every clock reading is 5 ms after the last
    strategy = PredictiveStrategy(
        StaticModelStore(MODEL), budget_ms=8, clock=lambda: next(ticks) / 1000.0
    )
    choice, decision = decide(strategy, work(), CANDIDATES)
    assert choice is not None and choice.id == "ann"
    assert decision is not None and decision.fallback_reason == "over_budget"
    assert decision.used == "longest_idle"


def test_service_level_guard_a_long_wait_goes_to_the_baseline() -> None:
    strategy = PredictiveStrategy(StaticModelStore(MODEL), max_wait_seconds=60)
    choice, decision = decide(strategy, work(waiting=61), CANDIDATES)
    assert choice is not None and choice.id == "ann"
    assert decision is not None and decision.fallback_reason == "service_level_wait"


def test_service_level_guard_an_agent_idle_too_long_is_served_first() -> None:
    strategy = PredictiveStrategy(StaticModelStore(MODEL), max_idle_seconds=600)
    choice, decision = decide(strategy, work(), CANDIDATES)  # ann idle 20 min > 10 min
    assert choice is not None and choice.id == "ann"
    assert decision is not None and decision.guard == "idle_agent_first"
    assert decision.used == "predictive"


def test_respects_skill_capacity_and_declines() -> None:
    strategy = PredictiveStrategy(StaticModelStore(MODEL))
    full = [agent("ann"), agent("bob", load=3)]
    assert strategy.choose(work(), full).id == "ann"  # type: ignore[union-attr]
    declined = QueuedWork("c", 2, None, "webchat", ("bob",), intent="order_status", now=NOW)
    assert strategy.choose(declined, CANDIDATES).id == "ann"  # type: ignore[union-attr]
    premium = QueuedWork("c", 3, "premium", "webchat", intent="order_status", now=NOW)
    assert strategy.choose(premium, CANDIDATES) is None


def test_skills_based_prefers_the_intents_team() -> None:
    # The team is the workspace policy's intent_skills entry, put on the work by the queue.
    team = [agent("ann", idle_minutes=30), agent("bob", idle_minutes=1, skills=("orders",))]
    assert SkillsBasedStrategy().choose(work("order_status", team="orders"), team).id == "bob"  # type: ignore[union-attr]
    assert SkillsBasedStrategy().choose(work("opening_hours"), team).id == "ann"  # type: ignore[union-attr]
    # a team nobody holds: no preference (least loaded, longest idle)
    assert SkillsBasedStrategy().choose(work("visa", team="visas"), team).id == "ann"  # type: ignore[union-attr]


def test_registered_and_built_from_settings(tmp_path) -> None:
    assert {"longest_idle", "skills", "predictive"} <= set(STRATEGIES)
    settings = Settings(
        data_dir=tmp_path, _env_file=None, routing_decision_budget_ms=5, routing_max_wait_seconds=30
    )
    built = _strategy("predictive", settings)
    assert isinstance(built, PredictiveStrategy)
    assert isinstance(built.models, FileModelStore)
    assert built.models.directory == tmp_path / "routing"
    assert built.budget_ms == 5 and built.max_wait_seconds == 30


def test_every_fallback_is_reported_and_a_model_problem_is_logged_once_per_quiet_period() -> None:
    from structlog.testing import capture_logs

    from hybridcx.routing.monitor import FallbackMonitor

    seconds = iter([0.0, 10.0, 700.0, 710.0])
    monitor = FallbackMonitor(quiet_seconds=600, clock=lambda: next(seconds))
    stale = PredictiveStrategy(
        StaticModelStore(MODEL), max_age=timedelta(minutes=30), on_fallback=monitor.record
    )
    guard = PredictiveStrategy(
        StaticModelStore(MODEL), max_wait_seconds=60, on_fallback=monitor.record
    )
    with capture_logs() as logs:
        decide(stale, work(workspace_id="ws-1"), CANDIDATES)  # t=0: warned
        decide(stale, work(workspace_id="ws-1"), CANDIDATES)  # t=10: quiet
        decide(stale, work(workspace_id="ws-1"), CANDIDATES)  # t=700: warned again
        decide(guard, work(workspace_id="ws-1", waiting=61), CANDIDATES)  # a guard: no alert
    warnings = [e for e in logs if e["event"] == "routing.fallback"]
    assert [(w["log_level"], w["reason"], w["fallbacks"]) for w in warnings] == [
        ("warning", "model_stale", 1),
        ("warning", "model_stale", 3),
    ]
    assert monitor.snapshot("ws-1") == {"model_stale": 3, "service_level_wait": 1}
    assert monitor.snapshot("ws-2") == {}
    # a decision the model made is not a fallback
    PredictiveStrategy(StaticModelStore(MODEL), on_fallback=monitor.record).decide(
        work(workspace_id="ws-1"), CANDIDATES
    )
    assert monitor.snapshot("ws-1") == {"model_stale": 3, "service_level_wait": 1}
