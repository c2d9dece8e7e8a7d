"""Inbound Twilio webhooks: parse the form body and check X-Twilio-Signature over the public URL.

Twilio signs ``URL + sorted(name + value)`` with HMAC-SHA1 keyed by the auth token. Behind a
proxy the URL the app sees differs from the one Twilio called, so the public URL comes from
HYBRIDCX_PUBLIC_URL when set, else from X-Forwarded-Proto / X-Forwarded-Host.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit, urlunsplit

import structlog
from fastapi import Request
from fastapi.responses import Response

from hybridcx.channels.deps import WebhookDeps
from hybridcx.kit.errors import Forbidden

log = structlog.get_logger(__name__)

TWIML = "application/xml"


def public_url(request: Request, public_base: str | None) -> str:
    """The URL Twilio requested, as Twilio saw it (path and query included)."""
    path = request.url.path
    query = request.url.query
    if public_base:
        base = urlsplit(public_base.rstrip("/"))
        return urlunsplit((base.scheme, base.netloc, base.path + path, query, ""))
    proto = request.headers.get("x-forwarded-proto", request.url.scheme).split(",")[0].strip()
    host = request.headers.get("x-forwarded-host") or request.headers.get("host") or ""
    return urlunsplit((proto, host.split(",")[0].strip(), path, query, ""))


def public_base(request: Request, public_base_url: str | None) -> str:
    """The server's public base URL (scheme and host, no path), as Twilio reaches it."""
    if public_base_url:
        return public_base_url.rstrip("/")
    full = urlsplit(public_url(request, None))
    return urlunsplit((full.scheme, full.netloc, "", "", ""))


async def signed_form(request: Request, rt: WebhookDeps) -> dict[str, str]:
    """The webhook's form fields, or Forbidden (403) unless Twilio's signature is valid."""
    from twilio.request_validator import RequestValidator

    settings = rt.settings
    token = settings.twilio_auth_token
    body = (await request.body()).decode("utf-8", "replace")
    params = dict(parse_qsl(body, keep_blank_values=True))
    signature = request.headers.get("x-twilio-signature")
    url = public_url(request, settings.public_url)
    if not token:
        log.warning("twilio.webhook_rejected", reason="no auth token configured", url=url)
        raise Forbidden("Twilio webhooks are off: HYBRIDCX_TWILIO_AUTH_TOKEN is not set.")
    if not signature or not RequestValidator(token).validate(url, params, signature):
        log.warning("twilio.webhook_rejected", reason="bad signature", url=url)
        raise Forbidden("Invalid X-Twilio-Signature.")
    return params


def twiml(xml: str) -> Response:
    return Response(content=xml, media_type=TWIML)
