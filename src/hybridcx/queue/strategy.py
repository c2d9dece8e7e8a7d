"""Assignment strategies: who gets the next queued conversation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class AgentCandidate:
    id: str
    name: str
    skills: tuple[str, ...]
    capacity: int
    load: int
    idle_since: datetime | None


@dataclass(frozen=True)
class QueuedWork:
    conversation_id: str
    tier: int
    required_skill: str | None
    channel: str
    excluded_agents: tuple[str, ...] = ()
    # What predictive routing reads; the baseline strategies ignore these.
    workspace_id: str | None = None
    intent: str | None = None
    # The team skill the workspace's policy maps the intent to (``intent_skills``), if any.
    team: str | None = None
    vip: bool = False
    lifetime_value: float = 0.0
    sentiment: float | None = None
    waiting_seconds: float = 0.0
    now: datetime | None = None


class AssignmentStrategy(Protocol):
    """Picks an agent for one queued conversation from the eligible, online candidates."""

    name: str

    def choose(
        self, work: QueuedWork, candidates: Sequence[AgentCandidate]
    ) -> AgentCandidate | None: ...


def has_skill(agent: AgentCandidate, skill: str | None) -> bool:
    return skill is None or skill in agent.skills


class LongestIdleStrategy:
    """Baseline: among agents with the skill and spare capacity, the least loaded, then the one
    idle the longest (an agent never assigned counts as idle the longest)."""

    name = "longest_idle"

    def choose(
        self, work: QueuedWork, candidates: Sequence[AgentCandidate]
    ) -> AgentCandidate | None:
        eligible = [
            a
            for a in candidates
            if a.load < a.capacity
            and has_skill(a, work.required_skill)
            and a.id not in work.excluded_agents
        ]
        if not eligible:
            return None
        return min(eligible, key=lambda a: (a.load, a.idle_since or datetime.min, a.id))


def _skills() -> AssignmentStrategy:
    from hybridcx.routing.strategy import SkillsBasedStrategy

    return SkillsBasedStrategy()


def _predictive() -> AssignmentStrategy:
    # Without settings there is no model directory: every decision falls back (and says so).
    # Runtime.from_settings builds it with the configured model store and budgets.
    from hybridcx.routing.store import StaticModelStore
    from hybridcx.routing.strategy import PredictiveStrategy

    return PredictiveStrategy(StaticModelStore(None))


# Registry of assignment strategies, chosen with HYBRIDCX_ASSIGNMENT_STRATEGY.
STRATEGIES: dict[str, Callable[[], AssignmentStrategy]] = {
    "longest_idle": LongestIdleStrategy,
    "skills": _skills,  # predictive routing
    "predictive": _predictive,  # predictive routing
}
