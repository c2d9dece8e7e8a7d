"""Response shapes of the quality API."""

from __future__ import annotations

from hybridcx.analytics.schemas import KpiQueryRead
from hybridcx.kit.schemas import Number, ReadModel
from hybridcx.scripting.schemas import AdherenceReport


class CriterionRead(ReadModel):
    criterion: str
    applicable: bool
    score: Number | None
    passed: bool | None
    evidence: list[str]
    note: str


class ConversationQuality(ReadModel):
    """One conversation scored now against the workspace's rubric, with evidence."""

    conversation_id: str
    handled_by: str
    agent_id: str | None
    intent: str | None
    category: str | None
    score: Number | None
    criteria: list[CriterionRead]
    status: str


class WeekRead(ReadModel):
    week: str
    conversations: int
    average_score: Number


class CoachingRead(ReadModel):
    criterion: str
    average: Number
    examples: list[str]


class HandlerQuality(ReadModel):
    handler: str
    agent_id: str | None
    name: str
    conversations: int
    average_score: Number | None
    criteria: dict[str, Number]
    trend: list[WeekRead]
    coaching: list[CoachingRead]


class AgentsQuality(ReadModel):
    """Every handler's quality over the stored scores of a window, the AI first."""

    query: KpiQueryRead
    scored_conversations: int
    rubric_versions: dict[str, int]
    current_rubric_version: str
    handlers: list[HandlerQuality]
    script_adherence: AdherenceReport
