"""Surveys by link (the email survey page) and by phone (the survey call's TwiML).

- ``GET  /api/v1/surveys/{token}``: the survey's state (``open``, ``answered`` or ``closed``).
- ``POST /api/v1/surveys/{token}``: the answer (``rating`` 1-5, optional ``nps`` 0-10 and
  ``comment``); once (409 after). A token not made by this server is a 404.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator

from hybridcx.auth.deps import RuntimeDep
from hybridcx.conversations import repository as repo
from hybridcx.conversations.schemas import clean_text
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import Conflict, NotFound
from hybridcx.surveys.schemas import SurveyAnswer, SurveyState
from hybridcx.surveys.service import (
    conversation_of_token,
    has_survey,
    open_for_answers,
    record_answer,
)

api_router = APIRouter(prefix="/api/v1/surveys", tags=["surveys"])


class SurveyCreate(BaseModel):
    """The same answer as web chat's survey (``POST /api/v1/conversations/{id}/survey``)."""

    model_config = ConfigDict(extra="forbid")

    rating: int = Field(ge=1, le=5, description="1 (very unhappy) to 5 (very happy).")
    nps: int | None = Field(default=None, ge=0, le=10, description="0-10; optional.")
    comment: str = Field(default="", max_length=2000)
    resolved: bool | None = None

    @field_validator("comment")
    @classmethod
    def valid_comment(cls, value: str) -> str:
        return clean_text(value).strip()


@api_router.get("/{token}", response_model=SurveyState)
async def survey_state(token: str, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.sessions() as session:
        conv_id = conversation_of_token(session, token)
        conv = await repo.get_conversation(session, conv_id) if conv_id else None
        if conv is None:
            raise NotFound("This survey link is not valid.")
        why = open_for_answers(conv)
        answered = await has_survey(session, conv.id)
    status = "answered" if answered else ("closed" if why else "open")
    return {"status": status, "channel": conv.channel, "detail": why}


@api_router.post("/{token}", status_code=201, response_model=SurveyAnswer)
async def answer_survey(token: str, body: SurveyCreate, runtime: RuntimeDep) -> dict[str, Any]:
    """The customer's answer from the survey page (the link in the email)."""
    async with transaction(runtime.sessions) as session:
        conv_id = conversation_of_token(session, token)
        conv = await repo.get_conversation(session, conv_id, lock=True) if conv_id else None
        if conv is None:
            raise NotFound("This survey link is not valid.")
        why = open_for_answers(conv)
        if why is not None:
            raise Conflict(why)
        if await has_survey(session, conv.id):
            raise Conflict("Thanks, we already have your feedback for this conversation.")
        record_answer(
            session,
            conv,
            rating=body.rating,
            nps=body.nps,
            comment=body.comment,
            resolved=body.resolved,
            via="link",
        )
    return {"rating": body.rating, "nps": body.nps, "comment": body.comment}


# What app.py includes.
router = APIRouter()
router.include_router(api_router)
