"""Skills-based and predictive assignment strategies, behind the queue's AssignmentStrategy.

``PredictiveStrategy`` asks the outcome model, for each eligible agent, what giving them this
contact is expected to yield (resolution probability, handle time, CSAT), scores that with a
configurable utility and picks the best, under a service-level guard: a contact that has waited
too long goes to the baseline (least loaded, longest idle) at once, and agents idle too long are
served first. With no model, a stale one, or a decision over its time budget it uses the
baseline and says why. ``decide`` returns the whole decision (features, every candidate's
prediction and utility) for the audit event ``assignment.decided``."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hybridcx.kit.ids import utcnow
from hybridcx.queue.strategy import (
    AgentCandidate,
    AssignmentStrategy,
    LongestIdleStrategy,
    QueuedWork,
    has_skill,
)
from hybridcx.routing.model import ContactFeatures, OutcomeModel, Prediction
from hybridcx.routing.monitor import FallbackMonitor
from hybridcx.routing.store import ModelStore


def eligible(work: QueuedWork, candidates: Sequence[AgentCandidate]) -> list[AgentCandidate]:
    """Agents who may take the work at all: spare capacity, the required skill, not declined."""
    return [
        a
        for a in candidates
        if a.load < a.capacity
        and has_skill(a, work.required_skill)
        and a.id not in work.excluded_agents
    ]


def _idle_key(a: AgentCandidate) -> tuple[int, datetime, str]:
    return (a.load, a.idle_since or datetime.min, a.id)


class SkillsBasedStrategy:
    """Classic skills-based routing: agents holding the team skill of the contact's intent (the
    workspace policy's ``intent_skills``, on the work as ``team``) first, then least loaded,
    then longest idle. An intent with no team: least loaded, then longest idle."""

    name = "skills"

    def choose(
        self, work: QueuedWork, candidates: Sequence[AgentCandidate]
    ) -> AgentCandidate | None:
        pool = eligible(work, candidates)
        if not pool:
            return None
        skill = work.team
        return min(pool, key=lambda a: (skill is not None and skill not in a.skills, *_idle_key(a)))


@dataclass(frozen=True)
class RoutingUtility:
    """What a good assignment is worth: each weight multiplies one expected outcome."""

    resolution: float = 1.0  # per unit of resolution probability
    handle_time: float = 0.25  # per ``handle_reference_seconds`` of expected handle time
    csat: float = 0.2  # per CSAT point (1-5 scale)
    load: float = 0.1  # per unit of the agent's load / capacity (spread the work)
    high_value_boost: float = 0.5  # resolution counts (1 + boost) times for VIP / high value
    handle_reference_seconds: float = 600.0

    def score(self, p: Prediction, *, agent: AgentCandidate, high_value: bool) -> float:
        weight = self.resolution * (1.0 + (self.high_value_boost if high_value else 0.0))
        return (
            weight * p.resolution
            - self.handle_time * p.handle_seconds / self.handle_reference_seconds
            + self.csat * (p.csat - 3.0)
            - self.load * (agent.load / max(1, agent.capacity))
        )


@dataclass
class AssignmentDecision:
    """One assignment and why: the audit record (``assignment.decided`` event data)."""

    strategy: str
    used: str  # the strategy that made the choice: "predictive" or the baseline's name
    chosen: str | None
    fallback_reason: str | None = None
    features: dict[str, Any] = field(default_factory=dict)
    candidates: list[dict[str, Any]] = field(default_factory=list)
    guard: str | None = None  # a service-level rule that narrowed the choice
    model: dict[str, Any] | None = None
    elapsed_ms: float = 0.0

    def to_event(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "used": self.used,
            "chosen_agent_id": self.chosen,
            "fallback_reason": self.fallback_reason,
            "guard": self.guard,
            "features": self.features,
            "candidates": self.candidates,
            "model": self.model,
            "elapsed_ms": round(self.elapsed_ms, 3),
        }


class PredictiveStrategy:
    name = "predictive"

    def __init__(
        self,
        models: ModelStore,
        *,
        utility: RoutingUtility | None = None,
        max_age: timedelta = timedelta(days=7),
        budget_ms: float = 20.0,
        max_wait_seconds: float = 120.0,
        max_idle_seconds: float = 1800.0,
        high_value: float = 10_000.0,
        baseline: AssignmentStrategy | None = None,
        clock: Callable[[], float] = time.perf_counter,
        on_fallback: Callable[[str | None, str], None] | None = None,
    ) -> None:
        self.models = models
        self.utility = utility or RoutingUtility()
        self.max_age = max_age
        self.budget_ms = budget_ms
        self.max_wait_seconds = max_wait_seconds
        self.max_idle_seconds = max_idle_seconds
        self.high_value = high_value
        self.baseline = baseline or LongestIdleStrategy()
        self.clock = clock
        # Told (workspace id, reason) whenever the baseline decides instead: the alert.
        self.on_fallback = on_fallback

    def choose(
        self, work: QueuedWork, candidates: Sequence[AgentCandidate]
    ) -> AgentCandidate | None:
        decision = self.decide(work, candidates)
        return next((a for a in candidates if a.id == decision.chosen), None)

    def decide(self, work: QueuedWork, candidates: Sequence[AgentCandidate]) -> AssignmentDecision:
        started = self.clock()
        now = work.now or utcnow()
        features = ContactFeatures(
            intent=work.intent,
            channel=work.channel,
            vip=work.vip,
            lifetime_value=work.lifetime_value,
            sentiment=work.sentiment,
            hour=now.hour,
        )
        decision = AssignmentDecision(
            strategy=self.name,
            used=self.name,
            chosen=None,
            features={**features.to_dict(), "waiting_seconds": round(work.waiting_seconds, 1)},
        )
        pool = eligible(work, candidates)
        if not pool:
            decision.used = "none"
            return self._done(decision, started)
        model = self.models.get(work.workspace_id)
        reason = self._unusable(model, now, work)
        if reason is not None or model is None:
            return self._fallback(decision, work, candidates, reason or "model_missing", started)
        decision.model = {"version": model.version, "trained_at": model.trained_at.isoformat()}
        overdue = [
            a
            for a in pool
            if a.idle_since is None or (now - a.idle_since).total_seconds() >= self.max_idle_seconds
        ]
        if overdue and len(overdue) < len(pool):
            pool, decision.guard = overdue, "idle_agent_first"
        high = features.context(high_value=self.high_value)["value"] == "high"
        best: tuple[float, str] | None = None
        for agent in pool:
            p = model.predict(agent.id, features)
            u = self.utility.score(p, agent=agent, high_value=high)
            decision.candidates.append(
                {"agent_id": agent.id, "load": agent.load, **p.to_dict(), "utility": round(u, 4)}
            )
            if best is None or u > best[0]:  # ties: the first in the pool
                best = (u, agent.id)
            if (self.clock() - started) * 1000.0 > self.budget_ms:
                return self._fallback(decision, work, candidates, "over_budget", started)
        assert best is not None
        decision.chosen = best[1]
        return self._done(decision, started)

    def _unusable(self, model: OutcomeModel | None, now: datetime, work: QueuedWork) -> str | None:
        if model is None:
            return "model_missing"
        if now - model.trained_at > self.max_age:
            return "model_stale"
        if work.waiting_seconds >= self.max_wait_seconds:
            return "service_level_wait"
        return None

    def _fallback(
        self,
        decision: AssignmentDecision,
        work: QueuedWork,
        candidates: Sequence[AgentCandidate],
        reason: str,
        started: float,
    ) -> AssignmentDecision:
        choice = self.baseline.choose(work, candidates)
        decision.used = self.baseline.name
        decision.fallback_reason = reason
        decision.chosen = choice.id if choice else None
        if self.on_fallback is not None:
            self.on_fallback(work.workspace_id, reason)
        return self._done(decision, started)

    def _done(self, decision: AssignmentDecision, started: float) -> AssignmentDecision:
        decision.elapsed_ms = (self.clock() - started) * 1000.0
        return decision


def decide(
    strategy: AssignmentStrategy, work: QueuedWork, candidates: Sequence[AgentCandidate]
) -> tuple[AgentCandidate | None, AssignmentDecision | None]:
    """The strategy's choice, and its audit record when it keeps one (predictive does)."""
    explain = getattr(strategy, "decide", None)
    if explain is None:
        return strategy.choose(work, candidates), None
    decision: AssignmentDecision = explain(work, candidates)
    return next((a for a in candidates if a.id == decision.chosen), None), decision


def predictive_from_settings(
    settings: Any, monitor: FallbackMonitor | None = None
) -> PredictiveStrategy:
    """The server's predictive strategy: models from the routing model directory, fallbacks
    reported to ``monitor``."""
    from hybridcx.routing.store import FileModelStore

    return PredictiveStrategy(
        FileModelStore(settings.effective_routing_model_dir),
        utility=RoutingUtility(
            resolution=settings.routing_weight_resolution,
            handle_time=settings.routing_weight_handle_time,
            csat=settings.routing_weight_csat,
            load=settings.routing_weight_load,
        ),
        max_age=timedelta(hours=settings.routing_model_max_age_hours),
        budget_ms=settings.routing_decision_budget_ms,
        max_wait_seconds=settings.routing_max_wait_seconds,
        max_idle_seconds=settings.routing_max_idle_seconds,
        on_fallback=monitor.record if monitor is not None else None,
    )
