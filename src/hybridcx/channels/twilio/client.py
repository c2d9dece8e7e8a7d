"""The official Twilio SDK client, pointed at HYBRIDCX_TWILIO_API_URL (a local fake in tests)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from hybridcx.channels.base import DeliveryError
from hybridcx.channels.deps import TwilioClientDeps

T = TypeVar("T")
REQUEST_TIMEOUT_SECONDS = 10.0


def twilio_client(rt: TwilioClientDeps) -> Any:
    """A ``twilio.rest.Client`` for the configured account, or DeliveryError if unset."""
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    settings = rt.settings
    if not settings.twilio_account_sid or not settings.twilio_auth_token:
        raise DeliveryError(
            "Twilio is not configured: set HYBRIDCX_TWILIO_ACCOUNT_SID and "
            "HYBRIDCX_TWILIO_AUTH_TOKEN."
        )
    client = Client(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        http_client=TwilioHttpClient(timeout=REQUEST_TIMEOUT_SECONDS),
    )
    # The SDK's Api domain keeps its base URL here; every /2010-04-01/… request is built on it.
    client.api.base_url = settings.twilio_api_url.rstrip("/")
    return client


async def call_twilio(fn: Callable[[], T]) -> T:
    """Run a (blocking) SDK call off the event loop; its errors become DeliveryError."""
    from twilio.base.exceptions import TwilioException

    try:
        return await asyncio.to_thread(fn)
    except TwilioException as exc:
        raise DeliveryError(f"Twilio refused the request: {exc}") from exc
    except OSError as exc:
        raise DeliveryError(f"Twilio could not be reached: {exc}") from exc
