"""HTTP for the learning loop: intent corrections in the desk, and /api/v1/improvement/..."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from hybridcx.auth.deps import RuntimeDep
from hybridcx.auth.permissions import ConversationHandler, ModelManager, TrainingReader
from hybridcx.improvement.service import ImprovementService

router = APIRouter(tags=["improvement"])
# Correcting an intent is handling the conversation (its team); the training data and the
# registry are read by supervisors and admins; what changes the model is for admins only.
Handler = ConversationHandler
TrainingReader = TrainingReader
ModelManager = ModelManager

ExampleStatus = Literal["candidate", "accepted", "rejected", "used"]
ClusterStatus = Literal["suggested", "accepted", "rejected"]


class IntentCorrection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    intent: str = Field(min_length=1, max_length=100)


class ClusterDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    intent: str | None = Field(
        default=None, max_length=64, description="Intent to file the examples under."
    )


class RollbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str | None = Field(default=None, max_length=20)


@router.put("/api/v1/conversations/{conversation_id}/intent")
async def correct_intent(
    conversation_id: str, body: IntentCorrection, staff: Handler, runtime: RuntimeDep
) -> dict[str, Any]:
    """Set the conversation's intent (one click in the desk): a correction of the AI, or a
    confirmation when it is the AI's own. Recorded as an `intent.corrected` event."""
    return await ImprovementService(runtime).correct_intent(conversation_id, staff, body.intent)


@router.get("/api/v1/improvement/intents")
async def intents(staff: Handler, runtime: RuntimeDep) -> dict[str, Any]:
    """The intents of the model the server answers with (the desk's picker)."""
    return ImprovementService(runtime).intents()


@router.get("/api/v1/improvement/examples")
async def list_examples(
    staff: TrainingReader,
    runtime: RuntimeDep,
    status: Annotated[ExampleStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    items = await ImprovementService(runtime).list_examples(staff, status, limit)
    return {"items": items}


@router.post("/api/v1/improvement/examples/{example_id}/accept")
async def accept_example(
    example_id: str, staff: ModelManager, runtime: RuntimeDep
) -> dict[str, Any]:
    return await ImprovementService(runtime).review_example(staff, example_id, accept=True)


@router.post("/api/v1/improvement/examples/{example_id}/reject")
async def reject_example(
    example_id: str, staff: ModelManager, runtime: RuntimeDep
) -> dict[str, Any]:
    return await ImprovementService(runtime).review_example(staff, example_id, accept=False)


@router.post("/api/v1/improvement/discover")
async def discover(staff: TrainingReader, runtime: RuntimeDep) -> dict[str, Any]:
    """Cluster the messages the AI could not handle (replaces the open suggestions)."""
    return {"items": await ImprovementService(runtime).discover(staff.workspace_id)}


@router.get("/api/v1/improvement/clusters")
async def list_clusters(
    staff: TrainingReader,
    runtime: RuntimeDep,
    status: Annotated[ClusterStatus | None, Query()] = None,
) -> dict[str, Any]:
    return {"items": await ImprovementService(runtime).list_clusters(staff, status)}


@router.post("/api/v1/improvement/clusters/{cluster_id}/accept")
async def accept_cluster(
    cluster_id: str, staff: ModelManager, runtime: RuntimeDep, body: ClusterDecision | None = None
) -> dict[str, Any]:
    intent = body.intent if body else None
    return await ImprovementService(runtime).decide_cluster(
        staff, cluster_id, accept=True, intent=intent
    )


@router.post("/api/v1/improvement/clusters/{cluster_id}/reject")
async def reject_cluster(
    cluster_id: str, staff: ModelManager, runtime: RuntimeDep
) -> dict[str, Any]:
    return await ImprovementService(runtime).decide_cluster(
        staff, cluster_id, accept=False, intent=None
    )


@router.get("/api/v1/improvement/models")
async def models(staff: TrainingReader, runtime: RuntimeDep) -> dict[str, Any]:
    service = ImprovementService(runtime)
    await service.check_model_owner(staff)
    return service.models()


@router.post("/api/v1/improvement/retrain")
async def retrain(staff: ModelManager, runtime: RuntimeDep) -> dict[str, Any]:
    """Train a candidate on the base data plus this workspace's accepted examples; the quality
    gate promotes or refuses it."""
    service = ImprovementService(runtime)
    await service.check_model_owner(staff)
    return await service.retrain(workspace_id=staff.workspace_id, require_examples=True)


@router.post("/api/v1/improvement/models/rollback")
async def rollback(
    staff: ModelManager, runtime: RuntimeDep, body: RollbackRequest | None = None
) -> dict[str, Any]:
    service = ImprovementService(runtime)
    await service.check_model_owner(staff)
    return service.rollback(body.version if body else None)
