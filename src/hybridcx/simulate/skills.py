"""Heterogeneous, intent-dependent agent skill: the simulation's hidden truth about agents.

Each agent j gets, for each intent i, a probability of resolving the customer's issue and a
handle-time multiplier, drawn once from a seeded distribution (seed, agent id), so the same
agents have the same skills in every run of a seed, whatever the routing:

    resolution p_ji = sigmoid(b_i + s * (a_j + g_j,team(i) + e_ji))
        b_i      intent difficulty   logit(0.75) + N(0, 0.4)      (same for every agent)
        a_j      general ability     N(0, 0.4)
        g_j,t    team proficiency    N(0, 1.0) per team: orders, billing, tech, general
        e_ji     intent quirk        N(0, 0.3)
    handle-time multiplier h_ji = exp(-0.3 * s * (a_j + g_j,team(i)) + N(0, 0.1 * s))

``s`` is ``SimConfig.skill_spread`` (0: identical agents, the simulator's default; 1: the
spread above). Teams come from the demo company's policy (the packaged default's
``intent_skills``; anything else is "general").
An agent *declares* (as skills for skills-based routing) the teams where a noisy assessment of
their proficiency, g + N(0, 0.5), is above 0.3: skills-based routing knows roughly, not exactly,
who is good at what. Nothing here is visible to the predictive model, which learns only from
the outcomes the simulation writes into its event log (survey answers, handle times)."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass

from hybridcx.pipeline.policy import load_policy

#: The simulated company is the demo one: its policy's intent -> team skill map.
DEMO_TEAMS = load_policy(None).intent_skills

TEAMS = ("orders", "billing", "tech", "general")
BASE_RESOLUTION = 0.75


def team_of(intent: str | None) -> str:
    return DEMO_TEAMS.get(intent or "", "general")


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@dataclass(frozen=True)
class AgentSkill:
    ability: float
    team: dict[str, float]
    quirk: dict[str, float]
    handle_noise: dict[str, float]
    declared: tuple[str, ...]


class SkillModel:
    """Resolution probability and handle-time multiplier per (agent, intent)."""

    def __init__(self, seed: int, spread: float, intents: Iterable[str]) -> None:
        self.seed = seed
        self.spread = spread
        rng = random.Random(f"hybridcx-sim:{seed}:intent-difficulty")
        logit = math.log(BASE_RESOLUTION / (1 - BASE_RESOLUTION))
        self.difficulty = {i: logit + rng.gauss(0.0, 0.4) for i in sorted(set(intents))}
        self.base = logit
        self.agents: dict[str, AgentSkill] = {}

    def agent(self, agent_id: str) -> AgentSkill:
        found = self.agents.get(agent_id)
        if found is None:
            rng = random.Random(f"hybridcx-sim:{self.seed}:skills:{agent_id}")
            ability = rng.gauss(0.0, 0.4)
            team = {t: rng.gauss(0.0, 1.0) for t in TEAMS}
            quirk = {i: rng.gauss(0.0, 0.3) for i in sorted(self.difficulty)}
            noise = {i: rng.gauss(0.0, 0.1) for i in sorted(self.difficulty)}
            declared = tuple(t for t in TEAMS if team[t] + rng.gauss(0.0, 0.5) > 0.3)
            found = self.agents[agent_id] = AgentSkill(ability, team, quirk, noise, declared)
        return found

    def _skill(self, agent_id: str, intent: str) -> float:
        a = self.agent(agent_id)
        return a.ability + a.team[team_of(intent)] + a.quirk.get(intent, 0.0)

    def resolution(self, agent_id: str, intent: str) -> float:
        b = self.difficulty.get(intent, self.base)
        return _sigmoid(b + self.spread * self._skill(agent_id, intent))

    def handle_factor(self, agent_id: str, intent: str) -> float:
        a = self.agent(agent_id)
        core = a.ability + a.team[team_of(intent)]
        return math.exp(-0.3 * self.spread * core + self.spread * a.handle_noise.get(intent, 0.0))

    def declared(self, agent_id: str) -> tuple[str, ...]:
        return self.agent(agent_id).declared if self.spread > 0 else ()
