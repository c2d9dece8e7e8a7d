"""The ASGI application (composition root)."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from types import FrameType
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from hybridcx import __version__
from hybridcx.agents.endpoints import router as agents_router
from hybridcx.analytics.api import router as analytics_router
from hybridcx.analytics.background import rollup_loop
from hybridcx.approvals.endpoints import router as approvals_router
from hybridcx.assist.endpoints import router as assist_router
from hybridcx.attachments.endpoints import router as attachments_router
from hybridcx.attachments.service import AttachmentDeps, is_upload, too_large
from hybridcx.auth.deps import AppDeps
from hybridcx.auth.endpoints import router as auth_router
from hybridcx.auth.mfa_endpoints import router as mfa_router  # TOTP
from hybridcx.auth.oidc_endpoints import router as oidc_router  # SSO
from hybridcx.channels.deps import ChannelDeps
from hybridcx.channels.email.endpoints import router as email_router
from hybridcx.channels.twilio.endpoints import router as twilio_router  # channels: SMS, phone
from hybridcx.compliance.endpoints import router as compliance_router
from hybridcx.config import Settings
from hybridcx.conversations.endpoints import router as conversations_router
from hybridcx.customers.endpoints import router as customers_router
from hybridcx.demo.endpoints import router as demo_router
from hybridcx.experiments.endpoints import router as experiments_router
from hybridcx.fairness.endpoints import router as fairness_router
from hybridcx.hours.endpoints import router as hours_router  # business hours
from hybridcx.hours.service import idle_loop as hours_idle_loop
from hybridcx.hours.sla import sla_loop
from hybridcx.improvement.endpoints import router as improvement_router
from hybridcx.improvement.scheduler import retrain_schedule
from hybridcx.integrations.endpoints import router as integrations_router
from hybridcx.kit.db import database_unavailable, upgrade
from hybridcx.kit.errors import AppError
from hybridcx.kit.heap import settle_after_startup
from hybridcx.kit.logging import configure_logging
from hybridcx.kit.overload import InflightGate, InflightLimit
from hybridcx.kit.sqlite_inline import offloaded
from hybridcx.knowledge.endpoints import router as knowledge_router
from hybridcx.macros.automation import automation_loop  # automation rules
from hybridcx.macros.endpoints import router as macros_router  # macros, automation
from hybridcx.ops.context import RequestContext, install_workspace_binding
from hybridcx.ops.deps import OpsDeps
from hybridcx.ops.endpoints import router as ops_router
from hybridcx.ops.heartbeat import Heartbeat
from hybridcx.ops.metrics import install_write_counters
from hybridcx.ops.outbox import relay_loop
from hybridcx.outreach.endpoints import router as outreach_router  # outreach
from hybridcx.outreach.loop import outreach_loop
from hybridcx.privacy.endpoints import router as privacy_router
from hybridcx.privacy.job import start_privacy_job, stop_privacy_job
from hybridcx.privacy.pii import warm as warm_pii
from hybridcx.profiles.endpoints import router as profiles_router  # customer profile
from hybridcx.quality.scoring import sweep_loop
from hybridcx.queue.endpoints import router as queue_router
from hybridcx.realtime.deps import RealtimeDeps
from hybridcx.realtime.endpoints import router as realtime_router
from hybridcx.routing.schedule import retrain_loop
from hybridcx.runtime import Runtime
from hybridcx.scripting.endpoints import router as scripts_router  # agent scripts
from hybridcx.search.endpoints import router as search_router  # search
from hybridcx.security.install import AccessLifespan, access_router, install_security
from hybridcx.surveys.endpoints import router as surveys_router
from hybridcx.tags.endpoints import router as tags_router  # tags, fields
from hybridcx.web.endpoints import router as web_router

log = structlog.get_logger(__name__)

MAX_BODY_BYTES = 1_000_000


def create_server_app() -> FastAPI:
    """The app of a `hybridcx serve` worker process (uvicorn's factory): settles the garbage
    collector after start-up (kit.heap)."""
    return create_app(settle_heap=True)


def create_app(settings: Settings | None = None, *, settle_heap: bool = False) -> FastAPI:
    """``settle_heap``: this process is a server of its own, so the garbage collector is
    settled after start-up when ``settings.gc_freeze`` (kit.heap). Apps built inside another
    program (tests, embedding) leave the interpreter's collector alone."""
    settings = settings or Settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime.from_settings(settings)
        if settings.migrate_on_start:
            await upgrade(runtime.engine)
        await runtime.bus.start()
        app.state.runtime = _for_the_edges(runtime)[0]
        # Answer leases name this process while it beats: a dead one's are taken over at once.
        beat = Heartbeat(
            runtime.sessions,
            answering=lambda: list(runtime.answering),
            delivered=runtime.outbox.take_delivered,
        )
        runtime.process_id = await beat.start()
        # The live events this process writes name it: if it dies before publishing them, the
        # relay of the others publishes them (ops.outbox); this one relays the dead's too.
        runtime.outbox.process_id = runtime.process_id
        relay_task = asyncio.create_task(
            relay_loop(
                runtime.sessions,
                runtime.bus.publish,
                interval=settings.outbox_relay_seconds,
                retention_seconds=settings.outbox_retention_seconds,
            ),
            name="hybridcx-outbox-relay",
        )
        # The background jobs started here run their SQLite calls in a worker thread: a long
        # one must not hold up customers' messages (kit.sqlite_inline). Tasks keep the
        # context they were created in; the requests' tasks do not inherit it.
        with offloaded():
            # analytics: keep the KPI rollup caught up outside requests
            rollup_task = (
                asyncio.create_task(
                    rollup_loop(runtime, settings.analytics_rollup_interval_seconds)
                )
                if settings.analytics_rollup_interval_seconds > 0
                else None
            )
            # quality: store the scores of finished conversations a resolution did not score
            quality_task = (
                asyncio.create_task(sweep_loop(runtime, settings.quality_sweep_interval_seconds))
                if settings.quality_sweep_interval_seconds > 0
                else None
            )
            # predictive routing: retrain models before they go stale
            routing_task = (
                asyncio.create_task(retrain_loop(runtime, settings.routing_retrain_hours))
                if settings.routing_retrain_hours > 0
                and settings.assignment_strategy == "predictive"
                else None
            )
            # channels: email (the SMTP receiver and IMAP poller, when configured)
            from hybridcx.channels.email import start_email

            app.state.email = await start_email(runtime, settings)
            privacy_job = start_privacy_job(runtime)  # privacy: retention + erasures
            access = AccessLifespan(runtime, settings)  # webhook worker, audit watchers
            await access.start()
            watcher = _experiments_watcher(runtime, settings)  # guardrails and rollouts
            # resolved conversations become tickets in the connected CRMs
            from hybridcx.integrations.sync import SyncWorker

            crm_sync = (
                SyncWorker(runtime, poll_seconds=settings.integrations_sync_seconds)
                if settings.integrations_sync_seconds > 0
                else None
            )
            if crm_sync is not None:
                crm_sync.start()
            # automation rules on conversation events, and the "no agent reply" sweep
            automation_task = (
                asyncio.create_task(automation_loop(runtime, settings.automation_interval_seconds))
                if settings.automation_interval_seconds > 0
                else None
            )
            # close conversations left waiting on the customer (business hours)
            idle_task = (
                asyncio.create_task(hours_idle_loop(runtime, settings.idle_sweep_interval_seconds))
                if settings.idle_sweep_interval_seconds > 0
                else None
            )
            sla_task = (  # SLA warnings and breaches
                asyncio.create_task(sla_loop(runtime, settings.sla_sweep_interval_seconds))
                if settings.sla_sweep_interval_seconds > 0
                else None
            )
            outreach_task = (  # proactive outreach campaigns on a schedule and events
                asyncio.create_task(
                    outreach_loop(
                        runtime,
                        settings.outreach_interval_seconds,
                        settings.outreach_events_interval_seconds,
                    )
                )
                if settings.outreach_interval_seconds > 0
                or settings.outreach_events_interval_seconds > 0
                else None
            )
        # The PII model (spaCy) loads in a worker thread now, not at the first resolve, where
        # loading it stopped the event loop for seconds.
        await asyncio.to_thread(warm_pii)
        frozen = settle_after_startup(settle_heap and settings.gc_freeze)
        restore_signals = _stop_on_signal(runtime)
        log.info(
            "app.started",
            database=runtime.engine.url.render_as_string(hide_password=True),
            redis=bool(settings.redis_url),
            gc_frozen=frozen,
        )
        try:
            async with AsyncExitStack() as stack:
                with offloaded():  # the retraining task it starts, as above
                    await stack.enter_async_context(retrain_schedule(runtime))
                yield
        finally:
            runtime.stopping.set()  # (a shutdown without a signal: tests, a lifespan error)
            restore_signals()
            if rollup_task is not None:
                rollup_task.cancel()
            if quality_task is not None:
                quality_task.cancel()
            if routing_task is not None:
                routing_task.cancel()
            if automation_task is not None:
                automation_task.cancel()
            if app.state.email is not None:
                await app.state.email.stop()
            await stop_privacy_job(privacy_job)
            await access.stop(app)
            if watcher is not None:
                watcher.cancel()
            if crm_sync is not None:
                await crm_sync.stop()
            if idle_task is not None:
                idle_task.cancel()
            if sla_task is not None:
                sla_task.cancel()
            if outreach_task is not None:
                outreach_task.cancel()
            runtime.assist_debouncer.cancel()  # assist nobody will see any more
            relay_task.cancel()
            await beat.stop()  # after the turns: the leases still held are free at once
            await runtime.bus.stop()
            await runtime.engine.dispose()

    app = FastAPI(
        title="hybridcx",
        version=__version__,
        summary="AI-human hybrid customer service",
        lifespan=lifespan,
    )
    _install_error_handlers(app)

    gate = InflightGate(
        limit=settings.max_inflight_turns,
        queue_size=settings.inflight_queue_size,
        wait_seconds=settings.inflight_wait_seconds,
    )
    app.state.inflight_gate = gate
    # Innermost, so a request refused for its size or rate never takes a turn slot.
    app.add_middleware(InflightLimit, gate=gate)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=MAX_BODY_BYTES,
        upload_max_bytes=settings.chat_max_attachment_bytes,  # chat attachments
    )
    app.add_middleware(Draining)  # after SIGTERM: 503 restarting while turns in flight finish
    app.add_middleware(CatchAll)
    install_security(app, settings)  # rate limits, security headers

    # operations: request ids in logs, request latency metrics; /readyz and /metrics
    app.add_middleware(RequestContext)
    app.add_middleware(OffloadHeavySqlite)
    install_write_counters()
    install_workspace_binding()
    app.include_router(ops_router)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    for router in (
        auth_router,
        mfa_router,
        oidc_router,
        conversations_router,
        assist_router,
        queue_router,
        agents_router,
        customers_router,
        demo_router,
        knowledge_router,
        realtime_router,
        web_router,
        analytics_router,
        twilio_router,  # channels: SMS and phone over Twilio
        email_router,  # channels: email drafts
        privacy_router,
        access_router(),  # /api/v1/audit, /api/v1/agents/{id}/access, /api/v1/webhooks
        approvals_router,
        compliance_router,
        fairness_router,
        improvement_router,  # learning from human resolutions
        experiments_router,
        integrations_router,  # connectors to the company's systems
        macros_router,  # macros and automation rules
        scripts_router,  # agent scripts
        search_router,  # customer search (the conversation list's filters: search/)
        tags_router,  # tags and custom fields
        attachments_router,  # files in web chat
        surveys_router,  # surveys by email, SMS and voice
        hours_router,  # business hours, after-hours choice
        outreach_router,  # proactive outreach campaigns
        profiles_router,  # one customer profile (identities, merge/unmerge)
    ):
        app.include_router(router)
    return app


#: Requests that may read many rows (reports, audits, exports, model training): on SQLite their
#: statements run in a worker thread so that they do not hold up the event loop.
HEAVY_API_AREAS = frozenset(
    {"analytics", "audit", "compliance", "improvement", "experiments", "quality", "routing"}
)  # the fairness report is under /api/v1/analytics


def _heavy(path: str) -> bool:
    parts = path.split("/", 5)  # "", "api", "v1", area, ...
    return (len(parts) > 3 and parts[3] in HEAVY_API_AREAS) or path.endswith(
        ("/export", "/erase", "/erasure")
    )


class OffloadHeavySqlite:
    """ASGI middleware: heavy requests' SQLite calls go to a worker thread (see above)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _heavy(scope["path"]):
            with offloaded():
                await self.app(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _for_the_edges(
    runtime: Runtime,
) -> tuple[AppDeps, ChannelDeps, AttachmentDeps, RealtimeDeps, OpsDeps]:
    """The runtime as each kind of endpoint reads it from ``app.state.runtime`` (the
    dependencies in auth/deps.py, channels/deps.py, attachments/endpoints.py, realtime/ and ops/
    type it by these protocols): mypy checks here that the runtime satisfies every one."""
    return runtime, runtime, runtime, runtime, runtime


def _stop_on_signal(runtime: Runtime) -> Callable[[], None]:
    """On SIGTERM or SIGINT, mark the process as stopping the moment the signal arrives (new
    requests get 503 ``restarting``, WebSockets close with 1012), then hand the signal on to the
    server's own handler (uvicorn stops listening, waits for requests in flight up to
    ``HYBRIDCX_SHUTDOWN_TIMEOUT_SECONDS``, then runs the shutdown above). Returns the undo.
    Signal handlers can only be set from the main thread: elsewhere (an in-process test server)
    this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def handler(signum: int, frame: FrameType | None) -> None:
        if not runtime.stopping.is_set():
            log.info("app.stopping", signal=signal.Signals(signum).name)
        loop.call_soon_threadsafe(runtime.stopping.set)
        chained = previous.get(signal.Signals(signum))
        if callable(chained):
            chained(signum, frame)

    for sig in previous:
        signal.signal(sig, handler)

    def restore() -> None:
        for sig, chained in previous.items():
            if signal.getsignal(sig) is handler:
                signal.signal(sig, chained)

    return restore


class Draining:
    """After SIGTERM, requests still arriving (on a kept-alive connection, or while the listener
    closes) get 503 ``restarting`` with Retry-After: the client or load balancer sends them to
    another process. /healthz still answers: the process is alive until it exits."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] != "/healthz":
            runtime = getattr(scope["app"].state, "runtime", None)
            if runtime is not None and runtime.stopping.is_set():
                await RESTARTING(scope, receive, send)
                return
        await self.app(scope, receive, send)


RESTARTING = JSONResponse(
    {
        "status": "restarting",  # what /readyz says too
        "error": "restarting",
        "code": "restarting",
        "detail": "This server is restarting; retry in a moment (another server may answer).",
    },
    status_code=503,
    headers={"Retry-After": "1", "Connection": "close"},
)


def _experiments_watcher(runtime: Runtime, settings: Settings) -> asyncio.Task[None] | None:
    if settings.experiments_check_seconds <= 0:
        return None
    from hybridcx.experiments.service import watch

    return asyncio.create_task(watch(runtime.sessions, settings.experiments_check_seconds))


def _describe(error: Any) -> dict[str, str]:
    """One validation error as {field, message}, phrased for the person reading it."""
    if error.get("type") == "json_invalid":
        return {"field": "body", "message": "malformed JSON"}
    field = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body",))
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    return {"field": field, "message": message}


#: A request that could not reach the database: the client retries (the same Idempotency-Key
#: is safe), here once the database is back or on another process behind the load balancer.
DATABASE_UNAVAILABLE = JSONResponse(
    {
        "error": "database_unavailable",
        "code": "database_unavailable",
        "detail": "The database cannot be reached right now; nothing was lost. Retry in a few "
        "seconds (with the same Idempotency-Key).",
    },
    status_code=503,
    headers={"Retry-After": "2"},
)


class CatchAll:
    """An unexpected error becomes a clean JSON 500 (and a log line), not a dropped connection."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if database_unavailable(exc):
                log.warning("request.database_unavailable", path=scope.get("path"), error=str(exc))
                if not started:
                    await DATABASE_UNAVAILABLE(scope, receive, send)
                return
            log.error("request.failed", path=scope.get("path"), error=repr(exc), exc_info=True)
            if not started:
                response = JSONResponse(
                    {
                        "detail": "Something went wrong on our side; nothing you sent was lost. "
                        "Retrying with the same Idempotency-Key is safe.",
                        "code": "internal_error",
                    },
                    status_code=500,
                )
                await response(scope, receive, send)


class BodySizeLimit:
    """Reject bodies over the limit with 413 before reading them (pure ASGI: no buffering)."""

    def __init__(self, app: Any, *, max_bytes: int, upload_max_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = upload_max_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            length = dict(scope.get("headers") or []).get(b"content-length", b"")
            limit, detail = self.max_bytes, f"Request body over {self.max_bytes} bytes."
            # a chat attachment upload has its own limit (the file is the body).
            if self.upload_max_bytes is not None and is_upload(scope):
                limit, detail = self.upload_max_bytes, too_large(self.upload_max_bytes)
            if length.isdigit() and int(length) > limit:
                response = JSONResponse(
                    {
                        "detail": detail,
                        "code": "payload_too_large",
                    },
                    status_code=413,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _install_error_handlers(app: FastAPI) -> None:

    @app.exception_handler(AppError)
    async def app_error(_request: Request, exc: AppError) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.message, "code": exc.code},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_describe(e) for e in exc.errors()]
        summary = "; ".join(f"{e['field'] or 'body'}: {e['message']}" for e in errors)
        return JSONResponse(
            {"detail": f"Invalid request: {summary}", "code": "invalid_request", "errors": errors},
            422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.detail, "code": "http_error"}, status_code=exc.status_code
        )
