"""Test client side of Twilio: webhooks signed exactly as Twilio signs them (the SDK's
RequestValidator.compute_signature over the URL and the form fields), and TwiML parsing."""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from typing import Any

import httpx
from twilio.request_validator import RequestValidator

from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN
from tests.support import Api

OUR_NUMBER = "+15557654321"


def signature(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)  # type: ignore[no-any-return]


def twilio_post(
    api: Api,
    path: str,
    params: dict[str, str],
    *,
    token: str = AUTH_TOKEN,
    sign: bool = True,
    signed_url: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST a form the way Twilio does, signed over ``signed_url`` (default: the URL posted)."""
    url = signed_url or api.base_url + path
    head = {**(headers or {})}
    if sign:
        head["X-Twilio-Signature"] = signature(url, params, token)
    return api.http.post(path, data=params, headers=head)


def sms_params(sender: str, body: str, sid: str | None = None, **extra: str) -> dict[str, str]:
    return {
        "ToCountry": "US",
        "SmsMessageSid": sid or "SM" + secrets.token_hex(16),
        "NumMedia": "0",
        "SmsSid": sid or "",
        "SmsStatus": "received",
        "Body": body,
        "To": OUR_NUMBER,
        "NumSegments": "1",
        "MessageSid": sid or "SM" + secrets.token_hex(16),
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
        **extra,
    }


def send_sms(api: Api, sender: str, body: str, sid: str | None = None) -> httpx.Response:
    sid = sid or "SM" + secrets.token_hex(16)
    return twilio_post(api, "/channels/sms/twilio", sms_params(sender, body, sid))


def twiml(response: httpx.Response) -> ET.Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.text)
    assert root.tag == "Response"
    return root


def sms_replies(response: httpx.Response) -> list[str]:
    return [m.text or "" for m in twiml(response).findall("Message")]


def staff_get(api: Api, path: str, **kw: Any) -> Any:
    token = api.login("supervisor@example.com", "demo-supervisor")
    r = api.staff(token, "GET", path, **kw)
    assert r.status_code == 200, r.text
    return r.json()


def conversations_of(api: Api, channel: str) -> list[dict[str, Any]]:
    items = staff_get(api, "/api/v1/conversations")
    items = items if isinstance(items, list) else items.get("items", [])
    return [c for c in items if c["channel"] == channel]
