"""The per-workspace retention policy (the ``retention:`` block of the workspace policy file)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RetentionPolicy(BaseModel):
    """How long personal content is kept. ``null`` keeps it (the default).

    Anonymised metrics (events without free text, KPI facts) are always kept."""

    model_config = ConfigDict(extra="forbid")

    transcripts_days: int | None = Field(
        default=None,
        ge=1,
        description="Resolved conversations older than this lose their messages, handoff "
        "package, AI memory and event free text.",
    )
    cases_days: int | None = Field(
        default=None, ge=1, description="Past cases (the agents' search index) older than this go."
    )
