"""A fake of Twilio's REST API on a local port, speaking its wire format: form-encoded POSTs to
/2010-04-01/Accounts/{AccountSid}/Messages.json and /Calls.json with HTTP basic auth (account
SID and auth token), answered with Twilio's JSON (201 with the message or call resource, or
Twilio's error JSON). A call is only recorded: the test plays Twilio's part afterwards (it
requests the call's Url and posts its StatusCallback, signed).
Loaded as a pytest plugin from tests/conftest.py (fixture ``twilio_server``)."""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "test-twilio-auth-token"
# Twilio's documented behaviour for an unsubscribed recipient (error 21610).
BLOCKED_NUMBER = "+15005550009"

MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC\w+)/Messages\.json$")
CALLS = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC\w+)/Calls\.json$")
# Twilio's documented test number that always fails to connect.
UNREACHABLE_NUMBER = "+15005550001"


@dataclass
class Sent:
    path: str
    auth: tuple[str, str] | None
    form: dict[str, str]
    # every value of a repeated field (StatusCallbackEvent=initiated&StatusCallbackEvent=…)
    multi: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class TwilioState:
    requests: list[Sent] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def messages(self) -> list[dict[str, str]]:
        with self.lock:
            return [r.form for r in self.requests if r.path.endswith("/Messages.json")]

    def calls(self) -> list[Sent]:
        with self.lock:
            return [r for r in self.requests if r.path.endswith("/Calls.json")]

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()


class FakeTwilioHandler(BaseHTTPRequestHandler):
    state: TwilioState

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _auth(self) -> tuple[str, str] | None:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user, password

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        pairs = parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True)
        form = dict(pairs)
        multi: dict[str, list[str]] = {}
        for key, value in pairs:
            multi.setdefault(key, []).append(value)
        auth = self._auth()
        with self.state.lock:
            self.state.requests.append(Sent(self.path, auth, form, multi))
        match = MESSAGES.match(self.path) or CALLS.match(self.path)
        if match is None:
            self._json(
                404,
                {
                    "code": 20404,
                    "message": "The requested resource was not found",
                    "more_info": "https://www.twilio.com/docs/errors/20404",
                    "status": 404,
                },
            )
            return
        if auth != (ACCOUNT_SID, AUTH_TOKEN) or match["sid"] != ACCOUNT_SID:
            self._json(
                401,
                {
                    "code": 20003,
                    "message": "Authenticate",
                    "more_info": "https://www.twilio.com/docs/errors/20003",
                    "status": 401,
                },
            )
            return
        if CALLS.match(self.path):
            self._create_call(form)
            return
        if not form.get("To") or not (form.get("From") or form.get("MessagingServiceSid")):
            self._json(
                400,
                {
                    "code": 21604,
                    "message": "A 'To' phone number is required.",
                    "more_info": "https://www.twilio.com/docs/errors/21604",
                    "status": 400,
                },
            )
            return
        if form["To"] == BLOCKED_NUMBER:
            self._json(
                400,
                {
                    "code": 21610,
                    "message": "Attempt to send to unsubscribed recipient",
                    "more_info": "https://www.twilio.com/docs/errors/21610",
                    "status": 400,
                },
            )
            return
        sid = "SM" + secrets.token_hex(16)
        self._json(
            201,
            {
                "sid": sid,
                "account_sid": ACCOUNT_SID,
                "to": form["To"],
                "from": form.get("From"),
                "messaging_service_sid": form.get("MessagingServiceSid"),
                "body": form.get("Body", ""),
                "status": "queued",
                "direction": "outbound-api",
                "num_segments": "1",
                "num_media": "0",
                "api_version": "2010-04-01",
                "date_created": "Fri, 27 Nov 2026 08:00:00 +0000",
                "date_updated": "Fri, 27 Nov 2026 08:00:00 +0000",
                "date_sent": None,
                "error_code": None,
                "error_message": None,
                "price": None,
                "price_unit": "USD",
                "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
                "subresource_uris": {
                    "media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}/Media.json"
                },
            },
        )

    def _error(self, status: int, code: int, message: str) -> None:
        self._json(
            status,
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
        )

    def _create_call(self, form: dict[str, str]) -> None:
        """POST /Calls.json: To, From, and one of Url / Twiml / ApplicationSid are required."""
        if not form.get("To"):
            self._error(400, 21201, "No 'To' number is specified")
            return
        if not form.get("From"):
            self._error(400, 21213, "No 'From' number is specified")
            return
        if not (form.get("Url") or form.get("Twiml") or form.get("ApplicationSid")):
            self._error(400, 21205, "Url parameter is required.")
            return
        if form["To"] == UNREACHABLE_NUMBER:
            self._error(400, 21217, "Phone number does not appear to be valid")
            return
        sid = "CA" + secrets.token_hex(16)
        self._json(
            201,
            {
                "sid": sid,
                "account_sid": ACCOUNT_SID,
                "to": form["To"],
                "to_formatted": form["To"],
                "from": form["From"],
                "from_formatted": form["From"],
                "status": "queued",
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "answered_by": None,
                "caller_name": None,
                "date_created": "Mon, 07 Dec 2026 08:00:00 +0000",
                "date_updated": "Mon, 07 Dec 2026 08:00:00 +0000",
                "start_time": None,
                "end_time": None,
                "duration": None,
                "forwarded_from": None,
                "group_sid": None,
                "parent_call_sid": None,
                "phone_number_sid": None,
                "price": None,
                "price_unit": "USD",
                "queue_time": "0",
                "trunk_sid": None,
                "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{sid}.json",
                "subresource_uris": {
                    "notifications": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{sid}/Notifications.json",
                    "recordings": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{sid}/Recordings.json",
                },
            },
        )


@dataclass
class FakeTwilio:
    url: str
    state: TwilioState
    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN


@pytest.fixture(scope="session")
def twilio_server() -> Iterator[FakeTwilio]:
    state = TwilioState()
    handler = type("Handler", (FakeTwilioHandler,), {"state": state})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield FakeTwilio(f"http://127.0.0.1:{httpd.server_address[1]}", state)
    httpd.shutdown()
    httpd.server_close()
