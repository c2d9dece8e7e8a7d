"""Pure ASGI middleware: security headers on every response, rate limits on public endpoints.

No cookies are used for authentication anywhere (staff and customers send bearer tokens in the
``Authorization`` header, which browsers never attach on their own), so cross-site request
forgery has nothing to ride on; see docs/security.md.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from fastapi.responses import JSONResponse

from hybridcx.audit import client_ip
from hybridcx.kit.errors import AppError
from hybridcx.security.ratelimit import RateLimiter, retry_after_header

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
HSTS = "max-age=31536000; includeSubDomains"
# Swagger UI and ReDoc load their bundle from a CDN with an inline bootstrap script.
DOCS_PATHS = ("/docs", "/redoc", "/docs/oauth2-redirect")


def _client_ip(scope: dict[str, Any]) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class TrustedProxies:
    """The client's address (and scheme) from ``X-Forwarded-For`` / ``X-Forwarded-Proto``, but
    only when the connection comes from a configured proxy (``HYBRIDCX_TRUSTED_PROXIES``);
    from anyone else the headers are ignored, so a client cannot choose its own address for
    the rate limits and the audit log. The client is the right-most address in the chain
    that is not itself a trusted proxy."""

    def __init__(self, app: Any, *, proxies: list[str]) -> None:
        self.app = app
        self.networks = [ipaddress.ip_network(p, strict=False) for p in proxies]

    def trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self.networks)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket") and self.networks:
            peer = _client_ip(scope)
            if self.trusted(peer):
                scope = self._rewrite(scope)
        await self.app(scope, receive, send)

    def _rewrite(self, scope: dict[str, Any]) -> dict[str, Any]:
        headers = scope.get("headers") or []
        chain = [
            part.strip()
            for name, value in headers
            if name == b"x-forwarded-for"
            for part in value.decode("latin-1").split(",")
            if part.strip()
        ]
        proto = [v.decode("latin-1") for n, v in headers if n == b"x-forwarded-proto"]
        scope = dict(scope)
        if chain:
            client = next((a for a in reversed(chain) if not self.trusted(a)), chain[0])
            scope["client"] = (client, 0)
        if proto:
            scheme = proto[-1].split(",")[-1].strip().lower()
            if scheme in ("http", "https"):
                ws = scope["type"] == "websocket"
                scope["scheme"] = {"http": "ws", "https": "wss"}[scheme] if ws else scheme
        return scope


class SecurityHeaders:
    """Adds what a response lacks: nosniff, Referrer-Policy, Permissions-Policy, framing rules
    (``X-Frame-Options: DENY`` unless the page's own CSP lets any site frame it, as the chat
    page does for the widget), a locked-down CSP for API responses, and HSTS over https."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = client_ip.set(_client_ip(scope))
        https = scope.get("scheme") == "https"
        docs = scope.get("path") in DOCS_PATHS

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                have = {k.lower() for k, _ in headers}
                csp = next((v for k, v in headers if k.lower() == b"content-security-policy"), b"")

                def add(name: bytes, value: str) -> None:
                    if name not in have:
                        headers.append((name, value.encode()))

                add(b"x-content-type-options", "nosniff")
                add(b"referrer-policy", "same-origin")
                add(b"permissions-policy", PERMISSIONS_POLICY)
                if b"frame-ancestors *" not in csp:
                    add(b"x-frame-options", "DENY")
                if not docs:
                    add(b"content-security-policy", API_CSP)
                if https:
                    add(b"strict-transport-security", HSTS)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, with_headers)
        finally:
            client_ip.reset(token)


# A JSON escape for NUL that is not itself escaped ("\\u0000" is a backslash and "u0000").
JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
MAX_SCANNED_BODY = 2_000_000


def _invalid(message: str) -> JSONResponse:
    return JSONResponse(
        {"detail": f"Invalid request: {message}", "code": "invalid_request"}, status_code=422
    )


class CleanInput:
    """A NUL character in the path, the query or a JSON body is a 422 before any handler
    runs: PostgreSQL cannot store or even compare text holding one, so a lookup by such a
    value would fail with a 500, and no text in hybridcx may contain one anyway."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        query = bytes(scope.get("query_string") or b"").lower()
        if "\x00" in scope.get("path", "") or b"%00" in query or b"\x00" in query:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 4422})
                return
            await _invalid("the URL must not contain NUL characters.")(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length", b"0")
        small = not length.isdigit() or int(length) <= MAX_SCANNED_BODY  # else: 413 further in
        if scope["type"] == "http" and scope.get("method") in ("POST", "PUT", "PATCH") and small:
            body, more = await _read_body(receive)
            if not more and JSON_NUL.search(body):
                await _invalid("text must not contain NUL characters.")(scope, receive, send)
                return
            receive = _replay(body, more, receive)
        await self.app(scope, receive, send)


async def _read_body(receive: Any) -> tuple[bytes, bool]:
    """The body, up to MAX_SCANNED_BODY; ``more`` when it was cut there (the size limit and
    the handlers deal with bodies that large)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False
        if size > MAX_SCANNED_BODY:
            return b"".join(chunks), True


def _replay(body: bytes, more: bool, receive: Any) -> Any:
    sent = False

    async def replay() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replay


@dataclass(frozen=True)
class RateRule:
    """Requests matching ``methods`` and ``pattern`` count against the limits named."""

    name: str
    methods: frozenset[str]
    pattern: re.Pattern[str]
    per_ip: int
    per_token: int | None = None


@dataclass(frozen=True)
class RateLimits:
    window_seconds: float
    per_ip: int
    per_token: int
    per_customer: int
    login_per_ip: int
    exempt: frozenset[str] = frozenset()

    def rules(self) -> list[RateRule]:
        any_method = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
        conv = r"^/api/v1/conversations/[^/]+/"
        return [
            RateRule(
                "login",
                frozenset({"POST"}),
                # the second factor is a sign-in too
                re.compile(r"^/api/v1/auth/(token|mfa/verify)$"),
                self.login_per_ip,
            ),
            RateRule(
                "start", frozenset({"POST"}), re.compile(r"^/api/v1/conversations$"), self.per_ip
            ),
            RateRule(
                "customer",
                any_method,
                re.compile(conv + r"(messages|survey|wait)$"),
                self.per_ip,
                self.per_token,
            ),
            RateRule(
                "selfservice",
                any_method,
                re.compile(r"^/api/v1/help/"),
                self.per_ip,
                self.per_token,
            ),
            # Inbound webhooks of channels (SMS, voice, email providers) and the like.
            RateRule(
                "webhook",
                frozenset({"POST"}),
                re.compile(r"^/(api/v1/)?(channels|webhooks/inbound|hooks)/"),
                self.per_ip,
            ),
        ]


def too_many(retry_after: float, what: str) -> JSONResponse:
    seconds = retry_after_header(retry_after)
    return JSONResponse(
        {
            "detail": f"Too many requests ({what}); try again in {seconds} seconds.",
            "code": "rate_limited",
            "retry_after": int(seconds),
        },
        status_code=429,
        headers={"Retry-After": seconds},
    )


class RateLimit:
    """Per-IP and per-token limits on the public endpoints (before any work is done)."""

    def __init__(self, app: Any, *, limits: RateLimits, limiter: RateLimiter) -> None:
        self.app = app
        self.limits = limits
        self.limiter = limiter
        self.rules = limits.rules()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope.get("path", ""), scope.get("method", "GET")
        exempt = _client_ip(scope) in self.limits.exempt
        for rule in self.rules:
            # Sign-in is limited from every address, loopback too: behind a proxy on the
            # same host every guess would otherwise come from an exempt address.
            if exempt and rule.name != "login":
                continue
            if method in rule.methods and rule.pattern.match(path):
                refused = await self._check(rule, scope)
                if refused is not None:
                    await refused(scope, receive, send)
                    return
                break
        await self.app(scope, receive, send)

    async def _check(self, rule: RateRule, scope: dict[str, Any]) -> JSONResponse | None:
        window = self.limits.window_seconds
        verdict = await self.limiter.hit(
            f"ip:{rule.name}:{_client_ip(scope)}", limit=rule.per_ip, window=window
        )
        if not verdict.allowed:
            return too_many(verdict.retry_after, "per address")
        token = _bearer(scope)
        if rule.per_token is not None and token:
            digest = hashlib.sha256(token.encode()).hexdigest()[:32]
            verdict = await self.limiter.hit(f"token:{digest}", limit=rule.per_token, window=window)
            if not verdict.allowed:
                return too_many(verdict.retry_after, "per token")
        return None


async def limit_customer(app_state: Any, key: str) -> None:
    """Per-customer limit, called by endpoints that know the customer (e.g. by email)."""
    limiter: RateLimiter | None = getattr(app_state, "rate_limiter", None)
    limits: RateLimits | None = getattr(app_state, "rate_limits", None)
    if limiter is None or limits is None or client_ip.get() in limits.exempt:
        return
    verdict = await limiter.hit(
        f"customer:{key}", limit=limits.per_customer, window=limits.window_seconds
    )
    if not verdict.allowed:
        raise RateLimited(verdict.retry_after)


def _bearer(scope: dict[str, Any]) -> str:
    for name, value in scope.get("headers") or []:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else ""
    return ""


class RateLimited(AppError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        seconds = retry_after_header(retry_after)
        super().__init__(f"Too many requests (per customer); try again in {seconds} seconds.")
