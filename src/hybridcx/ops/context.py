"""Per-request context: a request id, the ids logs carry, latency and WebSocket metrics.

Pure ASGI (no BaseHTTPMiddleware), so the context variables bound here are the ones the
endpoint's code runs with: every structlog line of the request carries request_id, and
conversation_id / workspace_id once known.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from sqlalchemy import event

from hybridcx.kit.metrics import HTTP_LATENCY, WEBSOCKETS
from hybridcx.models import Agent, Conversation

log = structlog.get_logger(__name__)

REQUEST_ID_HEADER = "x-request-id"
# Probes and scrapes every few seconds would drown the access log.
_PROBES = frozenset({"/healthz", "/readyz", "/metrics"})
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_CONVERSATION_IN_PATH = re.compile(r"/conversations/([A-Za-z0-9-]{8,64})(?:/|$)")
_installed = False


class RequestContext:
    """Binds the ids to the logging context, answers with X-Request-ID, times the request."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        ids: dict[str, str] = {"request_id": request_id}
        found = _CONVERSATION_IN_PATH.search(scope.get("path", ""))
        if found:
            ids["conversation_id"] = found.group(1)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(**ids)
        try:
            if scope["type"] == "http":
                await self._http(scope, receive, send, request_id)
            else:
                await self._websocket(scope, receive, send)
        finally:
            structlog.contextvars.clear_contextvars()

    async def _http(self, scope: Any, receive: Any, send: Any, request_id: str) -> None:
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers") or [])
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = _route_of(scope, status)
            method = scope.get("method", "GET")
            HTTP_LATENCY.labels(method, route, str(status)).observe(seconds)
            if route not in _PROBES:
                log.info(
                    "http.request",
                    method=method,
                    route=route,
                    status=status,
                    ms=round(seconds * 1000, 1),
                )

    async def _websocket(self, scope: Any, receive: Any, send: Any) -> None:
        kind = _socket_kind(scope.get("path", ""))
        accepted = False

        async def counting_send(message: Any) -> None:
            nonlocal accepted
            if message["type"] == "websocket.accept" and not accepted:
                accepted = True
                WEBSOCKETS.labels(kind).inc()
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            if accepted:
                WEBSOCKETS.labels(kind).dec()


def _request_id(scope: Any) -> str:
    for name, value in scope.get("headers") or ():
        if name == REQUEST_ID_HEADER.encode():
            given = value.decode("latin-1")
            if _VALID_REQUEST_ID.match(given):
                return given
    return uuid.uuid4().hex


def _route_of(scope: Any, status: int) -> str:
    """The matched route's template (/api/v1/conversations/{conversation_id}), never the raw
    path: one time series per route, whatever ids clients send. Without a matched route:
    "unmatched" for 404/405, "other" for a response a middleware gave before routing."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path:
        return str(path)
    return "unmatched" if status in (404, 405) else "other"


def _socket_kind(path: str) -> str:
    if path.startswith("/ws/agent"):
        return "agent"
    if path.startswith("/ws/conversations/"):
        return "customer"
    return "other"


def install_workspace_binding() -> None:
    """Log lines of a request carry workspace_id as soon as the request loads its conversation
    (or, for staff, an agent of the workspace). Idempotent."""
    global _installed
    if _installed:
        return
    event.listen(Conversation, "load", _bind_conversation_workspace)
    event.listen(Agent, "load", _bind_agent_workspace)
    _installed = True


def _bind_conversation_workspace(target: Conversation, _context: Any) -> None:
    bound = structlog.contextvars.get_contextvars()
    if "request_id" not in bound or "workspace_id" in bound:
        return
    if bound.get("conversation_id") in (None, target.id):
        structlog.contextvars.bind_contextvars(workspace_id=target.workspace_id)


def _bind_agent_workspace(target: Agent, _context: Any) -> None:
    bound = structlog.contextvars.get_contextvars()
    if "request_id" in bound and "workspace_id" not in bound and "conversation_id" not in bound:
        structlog.contextvars.bind_contextvars(workspace_id=target.workspace_id)
