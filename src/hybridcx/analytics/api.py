"""The analytics, quality and routing-status routes as one router, so the app mounts them with one line."""

from __future__ import annotations

from fastapi import APIRouter

from hybridcx.analytics.endpoints import orders_router
from hybridcx.analytics.endpoints import router as analytics_router
from hybridcx.quality.endpoints import router as quality_router
from hybridcx.routing.endpoints import router as routing_router

router = APIRouter()
router.include_router(analytics_router)
router.include_router(orders_router)
router.include_router(quality_router)
router.include_router(routing_router)
