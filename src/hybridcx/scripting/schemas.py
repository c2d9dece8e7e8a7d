"""Response shapes of the scripts API."""

from __future__ import annotations

from hybridcx.kit.schemas import ReadModel


class AdherenceSummary(ReadModel):
    conversations: int
    adherence: float | None
    fully_adherent: int


class AgentAdherence(AdherenceSummary):
    agent_id: str | None
    name: str | None


class TeamAdherence(AdherenceSummary):
    team: str


class ScriptAdherence(AdherenceSummary):
    script: str
    missed_steps: dict[str, int]


class AdherenceReport(ReadModel):
    """Of the required steps that applied, the share done at resolution."""

    overall: AdherenceSummary
    agents: list[AgentAdherence]
    teams: list[TeamAdherence]
    scripts: list[ScriptAdherence]
