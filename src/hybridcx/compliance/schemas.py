"""Response shapes of the compliance records API."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from hybridcx.kit.schemas import ReadModel, SnapshotModel


class RuleRead(SnapshotModel):
    """A compliance rule that applied, as recorded with the turn."""

    name: str
    reason: str | None
    ai_allowed: bool | None
    tier: int | None


class DisclosureRead(SnapshotModel):
    rule: str
    text: str
    message_id: str


class VerificationRead(ReadModel):
    verified: bool
    method: str | None = Field(description="identity_hash, one_time_code, ...; None: unverified.")


class RecordEventRead(ReadModel):
    type: str
    at: str
    actor_id: str | None
    # The event's own data (compliance record, approval, action, safety flag, script check).
    data: dict[str, Any]


class ComplianceRecord(ReadModel):
    conversation_id: str
    customer_id: str | None
    channel: str
    status: str
    tier: int
    regulated: bool
    rules: list[RuleRead]
    disclosures: list[DisclosureRead]
    verification: VerificationRead
    # The last script check as recorded: script, adherence, steps done and missing.
    script: dict[str, Any] | None
    events: list[RecordEventRead]


class ComplianceRecords(ReadModel):
    from_: str = Field(alias="from")
    to: str
    records: list[ComplianceRecord]
