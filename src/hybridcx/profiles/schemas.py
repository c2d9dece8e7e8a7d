"""Response shapes of the customer profile API (identities, merges, preferences)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from hybridcx.customers.schemas import CustomerRead
from hybridcx.kit.schemas import ReadModel


class ProfileCustomer(CustomerRead):
    since: str | None = Field(description="When the customer record was created.")


class IdentityRead(ReadModel):
    id: str
    kind: str = Field(description="email, phone, external or crm")
    value: str
    verified: bool
    source: str
    created_at: str


class MergeRead(ReadModel):
    id: str
    status: str = Field(description="proposed, dismissed, merged or unmerged")
    reason: str
    survivor_id: str
    merged_id: str
    conversations_moved: int
    fields_moved: list[str]
    created_at: str
    decided_at: str | None


class ProposalRead(MergeRead):
    customers: list[ProfileCustomer] = Field(description="The two customers of the proposal.")


class ProposalList(ReadModel):
    items: list[ProposalRead]


class ContactHoursRead(ReadModel):
    days: list[str]
    start: str
    end: str
    timezone: str


class PreferencesRead(ReadModel):
    channel: str | None
    language: str | None
    contact_hours: ContactHoursRead | None
    updated_at: str | None
    updated_by: str | None


class CustomerPreferences(PreferencesRead):
    customer_id: str


class ConsentRead(ReadModel):
    purpose: str
    description: str
    granted: bool
    at: str | None
    source: str | None


class SegmentProfileRead(ReadModel):
    name: str
    description: str
    tone: str
    language: str | None


class SegmentsRead(ReadModel):
    profile: SegmentProfileRead
    matched: bool
    # The customer's free-form segment attributes the profile is chosen from.
    attributes: dict[str, Any]


class HistoryItem(ReadModel):
    id: str
    channel: str
    status: str
    tier: int
    created_at: str


class CustomerProfile(ReadModel):
    """The customer's one profile across channels and merged records."""

    customer: ProfileCustomer
    preferences: PreferencesRead
    consents: list[ConsentRead]
    segments: SegmentsRead
    merged_into: str | None = Field(description="Set when the id asked for was merged away.")
    identities: list[IdentityRead]
    channels: list[str]
    history: list[HistoryItem]
    merges: list[MergeRead]


class IdentityLinked(ReadModel):
    identity: IdentityRead
    customer_id: str
    merged: list[str] = Field(description="Merges made (a verified identity held elsewhere).")
    proposed: list[str] = Field(description="Merge proposals made (an unverified match).")
