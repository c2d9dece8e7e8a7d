"""Response shapes of the survey-link API."""

from __future__ import annotations

from pydantic import Field

from hybridcx.kit.schemas import ReadModel


class SurveyState(ReadModel):
    status: str = Field(description="open, answered or closed")
    channel: str
    detail: str | None = Field(description="Why the survey is closed; None while open.")


class SurveyAnswer(ReadModel):
    rating: int
    nps: int | None
    comment: str
