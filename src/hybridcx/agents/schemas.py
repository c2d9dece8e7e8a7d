"""Response shapes of the agents (staff) API."""

from __future__ import annotations

from pydantic import Field

from hybridcx.kit.schemas import ReadModel


class AgentRead(ReadModel):
    id: str
    email: str
    name: str
    role: str
    skills: list[str]
    teams: list[str]
    capacity: int
    phone: str | None = Field(description="Where accepted calls ring: E.164 or client:<id>.")
    status: str
    online: bool = Field(description="Connected to the desk WebSocket.")
    load: int = Field(description="Conversations assigned now.")
    active: bool
    mfa_enabled: bool
    sso: bool


class AgentList(ReadModel):
    items: list[AgentRead]


class AgentDeactivated(AgentRead):
    open_conversations: int
    requeued: list[str] = Field(description="The conversations sent back to the queue.")


class AgentPasswordReset(AgentRead):
    # Only when the password was generated (shown once); absent otherwise.
    temporary_password: str | None = None
