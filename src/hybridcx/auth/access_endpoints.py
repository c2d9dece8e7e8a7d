"""``PUT /api/v1/agents/{id}/access``: an admin changes a staff member's role and teams."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator

from hybridcx.audit import record as audit
from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import ROLES, StaffManager
from hybridcx.conversations import repository as repo
from hybridcx.conversations.schemas import clean_text
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import InvalidInput, NotFound

router = APIRouter(prefix="/api/v1/agents", tags=["agents"])


class AccessUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str | None = Field(default=None, description="agent, supervisor, admin or auditor.")
    teams: list[str] | None = Field(default=None, max_length=50)

    @field_validator("role")
    @classmethod
    def known_role(cls, value: str | None) -> str | None:
        if value is not None and value not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        return value

    @field_validator("teams")
    @classmethod
    def clean_teams(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        teams = sorted({clean_text(t).strip() for t in value if t.strip()})
        if any(len(t) > 64 for t in teams):
            raise ValueError("team names are at most 64 characters")
        return teams


class AccessRead(BaseModel):
    id: str
    role: str
    teams: list[str]


@router.put("/{agent_id}/access", response_model=AccessRead)
async def update_access(
    agent_id: str, body: AccessUpdate, staff: StaffManager, runtime: RuntimeDep
) -> dict[str, Any]:
    """Change a staff member's role and/or teams (admins). Every change is audited."""
    async with transaction(runtime.sessions) as session:
        agent = await repo.get_agent(session, agent_id, workspace_id=staff.workspace_id)
        if agent is None:
            raise NotFound("No such staff member in this workspace.")
        if agent.id == staff.agent_id and body.role not in (None, agent.role):
            raise InvalidInput("You cannot change your own role; ask another admin.")
        before = {"role": agent.role, "teams": list(agent.teams or [])}
        if body.role is not None:
            agent.role = body.role
        if body.teams is not None:
            agent.teams = body.teams
        after = {"role": agent.role, "teams": list(agent.teams or [])}
        if after != before:
            audit(
                session,
                action="staff.access_changed",
                actor=staff,
                target_type="staff",
                target_id=agent.id,
                details={"before": before, "after": after},
            )
        return {"id": agent.id, **after}
