"""Response shapes of the business-hours and SLA API."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from hybridcx.conversations.schemas import ConversationState, MessageRead
from hybridcx.kit.schemas import Number, ReadModel, SnapshotModel


class SlaBucketRead(ReadModel):
    responses: int
    met: int
    breaches: int
    attainment: float | None


class SlaAttainmentRead(ReadModel):
    """Attainment (met / timed responses) overall and by tier, channel and team."""

    overall: SlaBucketRead
    by_tier: dict[str, SlaBucketRead]
    by_channel: dict[str, SlaBucketRead]
    by_team: dict[str, SlaBucketRead]


class SpanRead(SnapshotModel):
    open: str = Field(description="HH:MM, local time")
    close: str = Field(description="HH:MM, local time (24:00 for midnight)")


class ExceptionRead(SnapshotModel):
    date: str = Field(description="YYYY-MM-DD, local date")
    name: str
    hours: list[SpanRead] = Field(description="Empty: closed all day.")


class HoursRead(ReadModel):
    team: str | None = Field(description="None: the workspace's own hours.")
    configured: bool
    timezone: str
    weekly: dict[str, list[SpanRead]] = Field(description="Spans per day (mon … sun).")
    exceptions: list[ExceptionRead]
    always_open: bool
    open_now: bool
    next_open: str | None
    closes_at: str | None
    updated_at: str | None


class WorkspaceHoursRead(HoursRead):
    idle_close_minutes: int | None = Field(
        description="Close conversations waiting on the customer this long (None: never)."
    )


class BusinessHoursRead(ReadModel):
    workspace: WorkspaceHoursRead
    teams: list[HoursRead]


class AfterHoursChoiceRead(ReadModel):
    # The conversation's after-hours state: {choice, contact, callback_at, ...}.
    after_hours: dict[str, Any]
    message: MessageRead
    conversation: ConversationState


class SlaPolicyRead(ReadModel):
    id: str
    name: str
    tier: int | None
    channel: str | None
    vip: bool | None
    first_response_minutes: Number
    next_response_minutes: Number | None
    warn_before_minutes: Number
    business_hours: bool


class SlaPolicyList(ReadModel):
    items: list[SlaPolicyRead]


class SlaWindowAttainment(SlaAttainmentRead):
    from_: str = Field(alias="from")
    to: str


class ConversationSlaRead(ReadModel):
    conversation_id: str
    status: str
    # The SLA clock as stored (policy, state, deadlines) with remaining_seconds and
    # warn_in_seconds; None when no policy applies.
    sla: dict[str, Any] | None
