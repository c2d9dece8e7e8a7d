"""Wiring for app.py: middleware, the 429 handler, the routers, and the lifespan work."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from hybridcx.auth.throttle import LoginThrottle, LoginThrottled
from hybridcx.security.middleware import (
    CleanInput,
    RateLimit,
    RateLimited,
    RateLimits,
    SecurityHeaders,
    TrustedProxies,
)
from hybridcx.security.ratelimit import MemoryRateLimiter, RedisRateLimiter, retry_after_header


def access_router() -> APIRouter:
    from hybridcx.audit.endpoints import router as audit_router
    from hybridcx.auth.access_endpoints import router as access_router
    from hybridcx.webhooks.endpoints import router as webhooks_router

    router = APIRouter()
    for sub in (audit_router, access_router, webhooks_router):
        router.include_router(sub)
    return router


def install_security(app: FastAPI, settings: Any) -> None:
    """Rate limits (when enabled) inside, security headers outermost, so every response,
    including a 413, a 429 or a 500, carries the headers."""
    limits = RateLimits(
        window_seconds=settings.rate_limit_window_seconds,
        per_ip=settings.rate_limit_per_ip,
        per_token=settings.rate_limit_per_token,
        per_customer=settings.rate_limit_per_customer,
        login_per_ip=settings.rate_limit_login_per_ip,
        exempt=frozenset(settings.rate_limit_exempt),
    )
    if settings.rate_limit_enabled:
        limiter = (
            RedisRateLimiter(settings.redis_url) if settings.redis_url else MemoryRateLimiter()
        )
        app.state.rate_limiter = limiter
        app.state.rate_limits = limits
        app.add_middleware(RateLimit, limits=limits, limiter=limiter)
    app.state.login_throttle = LoginThrottle(
        max_failures=settings.login_max_failures,
        window_seconds=settings.login_failure_window_seconds,
        redis_url=settings.redis_url,
    )
    app.add_middleware(CleanInput)
    app.add_middleware(SecurityHeaders)
    # Outermost, so every layer (limits, the audit log's client IP, HSTS) sees the client.
    app.add_middleware(TrustedProxies, proxies=list(settings.trusted_proxies))
    document_errors(app)

    @app.exception_handler(LoginThrottled)
    async def login_throttled(_request: Request, exc: LoginThrottled) -> JSONResponse:
        seconds = retry_after_header(exc.retry_after)
        return JSONResponse(
            {"detail": exc.message, "code": exc.code, "retry_after": int(seconds)},
            status_code=429,
            headers={"Retry-After": seconds},
        )

    @app.exception_handler(RateLimited)
    async def rate_limited(_request: Request, exc: RateLimited) -> JSONResponse:
        seconds = retry_after_header(exc.retry_after)
        return JSONResponse(
            {"detail": exc.message, "code": exc.code, "retry_after": int(seconds)},
            status_code=429,
            headers={"Retry-After": seconds},
        )


ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["detail", "code"],
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, for a person to read."},
        "code": {"type": "string", "description": "A stable machine-readable code."},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "retry_after": {"type": "integer"},
        "slots": {"type": "array", "items": {"type": "object"}},
    },
}
ERRORS = {
    "400": "Bad request",
    "401": "Missing or invalid token",
    "403": "Not allowed for this caller",
    "404": "Not found (or not yours to see)",
    "409": "Conflicts with the current state",
    "413": "Too large",
    "422": "Invalid input",
    "429": "Rate limited (see Retry-After)",
}


def document_errors(app: FastAPI) -> None:
    """Every operation documents the error answers the app really gives: the JSON error body
    of ``kit.errors`` (not FastAPI's default validation shape), for each 4xx it can send."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema and app.openapi_schema.get("x-errors-documented"):
            return app.openapi_schema
        schema = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Error"] = ERROR_SCHEMA
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        body = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for code, description in ERRORS.items():
                    responses[code] = {"description": description, "content": body}
        schema["x-errors-documented"] = True
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


class AccessLifespan:
    """Started and stopped by the app's lifespan: the webhook delivery worker, and the
    ``model.deployed`` audit entry when the server starts with a model it has not run before."""

    def __init__(self, runtime: Any, settings: Any) -> None:
        self.runtime = runtime
        self.settings = settings
        self.worker: Any = None
        self.policies: Any = None

    async def start(self) -> None:
        from hybridcx.audit.deploy import PolicyWatcher, record_model_deployment
        from hybridcx.webhooks.worker import WebhookWorker

        await record_model_deployment(self.runtime, self.settings)
        self.policies = PolicyWatcher(self.runtime, self.settings.policy_dir)
        self.policies.start()
        if self.settings.webhooks_enabled:
            self.worker = WebhookWorker.from_settings(self.runtime, self.settings)
            self.worker.start()

    async def stop(self, app: FastAPI) -> None:
        if self.policies is not None:
            await self.policies.stop()
        if self.worker is not None:
            await self.worker.stop()
        limiter = getattr(app.state, "rate_limiter", None)
        if limiter is not None:
            await limiter.close()
        throttle = getattr(app.state, "login_throttle", None)
        if throttle is not None:
            await throttle.close()
