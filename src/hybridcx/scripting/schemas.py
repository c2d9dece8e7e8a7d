"""Response shapes of the scripts API."""

from __future__ import annotations

from pydantic import Field

from hybridcx.kit.schemas import Number, ReadModel


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


# A script as written: optional keys that are not set are absent (not null), so the routes
# that return scripts serialize with ``response_model_exclude_unset``.


class BranchRead(ReadModel):
    customer_says: list[str]
    result: str | None = None
    goto: str


class StepRead(ReadModel):
    id: str
    kind: str = Field(description="say, ask, check, action or disclosure")
    text: str
    entity: str | None = None
    action: str | None = None
    required: bool | None = None
    branches: list[BranchRead]


class ScriptRead(ReadModel):
    id: str | None = Field(description="None for a built-in default script.")
    source: str = Field(description="workspace or default")
    enabled: bool
    name: str
    description: str
    intents: list[str]
    segment: str | None = None
    channel: str | None = None
    compliance_rule: str | None = None
    steps: list[StepRead]
    updated_at: str | None


class ScriptList(ReadModel):
    items: list[ScriptRead]
    enforcement: str = Field(description="block or warn")
    step_kinds: dict[str, str] = Field(description="Each step kind, explained.")


class EnforcementRead(ReadModel):
    enforcement: str


class StepStateRead(ReadModel):
    id: str
    kind: str
    text: str = Field(description="The wording with the conversation's values filled in.")
    required: bool
    status: str = Field(description="done, todo or skipped")
    how: str
    missing_values: list[str]


class ProgressRead(ReadModel):
    name: str
    description: str
    steps: list[StepStateRead]
    next: StepStateRead | None
    missing_required: list[str]
    adherence: Number


class ConversationScript(ReadModel):
    conversation_id: str
    intent: str | None
    segment: str | None
    enforcement: str
    script: ProgressRead | None = Field(description="None when no script applies.")
