"""/readyz and /metrics (liveness, /healthz, stays in app.py: it must not touch anything)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from hybridcx.kit.errors import NotFound, Unauthorized
from hybridcx.ops.deps import OpsDeps
from hybridcx.ops.health import readiness
from hybridcx.ops.metrics import ScrapeTimeGauges, queue_by_tier, render

router = APIRouter(tags=["ops"])


class MetricsOff(NotFound):
    code = "metrics_off"


def _runtime(request: Request) -> OpsDeps:
    runtime: OpsDeps = request.app.state.runtime  # app.py checks that the runtime fits
    return runtime


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """200 when this process can serve traffic; 503 naming what is failing otherwise."""
    runtime = _runtime(request)
    settings = runtime.settings
    ready, body = await readiness(
        runtime.engine,
        redis_url=runtime.redis_url,
        nlu_enabled=settings.nlu_enabled,
        live_model=runtime.live_model,
        wait_seconds=settings.readiness_timeout_seconds,
    )
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    runtime = _runtime(request)
    token = runtime.settings.metrics_token
    if not token:
        raise MetricsOff("Metrics are off: set HYBRIDCX_METRICS_TOKEN to turn them on.")
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise Unauthorized("GET /metrics needs Authorization: Bearer <HYBRIDCX_METRICS_TOKEN>.")
    async with runtime.sessions() as session:
        queue = await queue_by_tier(session)
    live = runtime.live_model
    gauges = ScrapeTimeGauges(queue, model_version=live.version if live is not None else None)
    return Response(render(gauges), media_type=CONTENT_TYPE_LATEST)
