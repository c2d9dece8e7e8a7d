"""Experiments API (supervisors and admins, scoped to the caller's workspace).

- ``GET /api/v1/experiments``: every experiment, newest first, with its last evaluation.
- ``POST /api/v1/experiments``: start an A/B experiment or a rollout.
- ``GET /api/v1/experiments/{id}``: one experiment, evaluated now (metrics per arm, tests,
  guardrails; a breach stops it or rolls it back, a healthy rollout steps up).
- ``GET /api/v1/experiments/{id}/kpis?arm=``: the analytics KPI report of one arm.
- ``POST /api/v1/experiments/{id}/stop``: stop it (everyone gets the defaults again).
- ``POST /api/v1/experiments/{id}/rollback``: roll a rollout back (treatment share 0).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import ExperimentManager
from hybridcx.experiments import service
from hybridcx.experiments.schemas import ArmKpis, ExperimentList, ExperimentRead
from hybridcx.experiments.spec import ExperimentCreate
from hybridcx.kit.db import transaction
from hybridcx.kit.errors import InvalidInput

router = APIRouter(prefix="/api/v1/experiments", tags=["experiments"])
Manager = ExperimentManager  # supervisors and admins


class StopRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="stopped by a supervisor", max_length=500)


@router.get("", response_model=ExperimentList, response_model_exclude_unset=True)
async def list_experiments(staff: Manager, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.sessions() as session:
        items = await service.list_all(session, staff.workspace_id)
        return {"items": [service.experiment_read(e) for e in items]}


@router.post("", status_code=201, response_model=ExperimentRead, response_model_exclude_unset=True)
async def create_experiment(
    body: ExperimentCreate, staff: Manager, runtime: RuntimeDep
) -> dict[str, Any]:
    async with transaction(runtime.sessions) as session:
        exp = await service.create(session, staff.workspace_id, body, created_by=staff.agent_id)
        return service.experiment_read(exp)


@router.get("/{experiment_id}", response_model=ExperimentRead, response_model_exclude_unset=True)
async def read_experiment(
    experiment_id: str, staff: Manager, runtime: RuntimeDep
) -> dict[str, Any]:
    async with transaction(runtime.sessions) as session:
        exp = await service.get(session, staff.workspace_id, experiment_id, lock=True)
        await service.evaluate(session, exp)
        return service.experiment_read(exp)


@router.get("/{experiment_id}/kpis", response_model=ArmKpis)
async def experiment_arm_kpis(
    experiment_id: str,
    staff: Manager,
    runtime: RuntimeDep,
    arm: Annotated[str, Query(min_length=1, max_length=40)],
) -> dict[str, Any]:
    """Every KPI (as ``/api/v1/analytics/kpis``) for the conversations of one arm."""
    async with runtime.sessions() as session:
        exp = await service.get(session, staff.workspace_id, experiment_id)
        return await service.arm_kpis(session, exp, arm)


@router.post(
    "/{experiment_id}/stop", response_model=ExperimentRead, response_model_exclude_unset=True
)
async def stop_experiment(
    experiment_id: str, body: StopRequest, staff: Manager, runtime: RuntimeDep
) -> dict[str, Any]:
    async with transaction(runtime.sessions) as session:
        exp = await service.get(session, staff.workspace_id, experiment_id, lock=True)
        service.stop(exp, reason=service.check_stop_reason(f"{body.reason} ({staff.name})"))
        return service.experiment_read(exp)


@router.post(
    "/{experiment_id}/rollback", response_model=ExperimentRead, response_model_exclude_unset=True
)
async def rollback_experiment(
    experiment_id: str, body: StopRequest, staff: Manager, runtime: RuntimeDep
) -> dict[str, Any]:
    async with transaction(runtime.sessions) as session:
        exp = await service.get(session, staff.workspace_id, experiment_id, lock=True)
        if exp.kind != "rollout":
            raise InvalidInput("Only a rollout is rolled back; stop an A/B experiment instead.")
        service.stop(exp, reason=f"{body.reason} ({staff.name})", status="rolled_back")
        return service.experiment_read(exp)
