"""Outbound webhooks: signed per Standard Webhooks, retried with backoff, attempts recorded."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from hybridcx.webhooks.service import RetryPolicy
from hybridcx.webhooks.signing import new_secret, sign, verify
from tests.support import LiveServer, backend_params, own_postgres_database, settings_for


class Receiver(ThreadingHTTPServer):
    """A local HTTP endpoint: answers 500 to the first try of each message (or always)."""

    def __init__(self, *, always_fail: bool = False) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.always_fail = always_fail
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks"

    def answered(self, status: int) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if r["status"] == status]


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["content-length"])).decode()
        headers = {k.lower(): v for k, v in self.headers.items()}
        with self.server.lock:
            seen = any(r["id"] == headers["webhook-id"] for r in self.server.requests)
            status = 500 if self.server.always_fail or not seen else 200
            self.server.requests.append(
                {"id": headers["webhook-id"], "headers": headers, "body": body, "status": status}
            )
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture(scope="module", params=backend_params())
def fast(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A server whose webhook worker polls every 0.1 s and retries after 0.2-0.4 s. On
    PostgreSQL it has a database of its own: another test server's worker (8 attempts, 5 s
    apart) would otherwise claim some of its deliveries and try a fourth time."""
    import asyncio

    extra: dict[str, Any] = {}
    if request.param == "postgres":
        extra["database_url"] = asyncio.run(own_postgres_database("webhooks"))
    data_dir: Path = tmp_path_factory.mktemp("webhooks")
    settings = settings_for(
        request.param,
        data_dir,
        **extra,
        nlu_enabled=False,
        webhook_poll_seconds=0.1,
        webhook_retry_base_seconds=0.2,
        webhook_max_attempts=3,
    )
    live = LiveServer(settings).start()
    yield live
    live.stop()


def _wait(condition: Any, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def _admin(http: httpx.Client) -> dict[str, str]:
    r = http.post(
        "/api/v1/auth/token", json={"email": "admin@example.com", "password": "demo-admin"}
    )
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_events_are_signed_delivered_and_retried(fast: LiveServer) -> None:
    fast.reset()
    receiver = Receiver()
    with httpx.Client(base_url=fast.url) as http:
        admin = _admin(http)
        r = http.post(
            "/api/v1/webhooks",
            headers=admin,
            json={
                "url": receiver.url,
                "event_types": [
                    "conversation.created",
                    "conversation.escalated",
                    "message.created",
                ],
                "description": "CRM sync",
            },
        )
        assert r.status_code == 201, r.text
        hook = r.json()
        assert hook["secret"].startswith("whsec_")
        listed = http.get("/api/v1/webhooks", headers=admin).json()
        assert [h["id"] for h in listed["items"]] == [hook["id"]]
        assert "secret" not in listed["items"][0]

        conv = http.post(
            "/api/v1/conversations",
            json={"channel": "webchat", "customer": {"email": "hooked@example.com"}},
        ).json()
        r = http.post(
            f"/api/v1/conversations/{conv['id']}/messages",
            json={"text": "I want to speak to a person"},
            headers={"Authorization": f"Bearer {conv['customer_token']}"},
        )
        assert r.status_code == 200

        def delivered_types() -> set[str] | None:
            types = {json.loads(x["body"])["type"] for x in receiver.answered(200)}
            wanted = {"conversation.created", "conversation.escalated", "message.created"}
            retried = {x["id"] for x in receiver.answered(200)}
            settled = {x["id"] for x in receiver.answered(500)} <= retried
            return types if wanted <= types and settled else None

        _wait(delivered_types)

        standard = Webhook(hook["secret"])
        for req in receiver.requests:
            # The reference implementation accepts every request, first tries and retries.
            payload = standard.verify(req["body"], req["headers"])
            assert payload["data"]["conversation_id"] == conv["id"]
            # And by hand: base64 HMAC-SHA256 of "id.timestamp.body" with the decoded secret.
            key = base64.b64decode(hook["secret"].removeprefix("whsec_"))
            signed = f"{req['id']}.{req['headers']['webhook-timestamp']}.{req['body']}".encode()
            expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
            assert req["headers"]["webhook-signature"] == f"v1,{expected}"
        # Every message was refused once (500) and delivered on the retry, with the same id.
        ok_ids = [x["id"] for x in receiver.answered(200)]
        assert len(ok_ids) == len(set(ok_ids))  # each delivered exactly once
        assert sorted(x["id"] for x in receiver.answered(500)) == sorted(ok_ids)
        texts = [
            json.loads(x["body"])["data"].get("text")
            for x in receiver.answered(200)
            if json.loads(x["body"])["type"] == "message.created"
        ]
        assert "I want to speak to a person" in texts

        deliveries = _wait(
            lambda: (
                d
                if (
                    d := http.get(
                        f"/api/v1/webhooks/{hook['id']}/deliveries", headers=admin
                    ).json()["items"]
                )
                and all(x["status"] == "delivered" for x in d)
                else None
            )
        )
        ok_ids = [x["id"] for x in receiver.answered(200)]
        assert sorted(f"msg_{d['id']}" for d in deliveries) == sorted(ok_ids)
        for d in deliveries:
            assert d["attempt_count"] == 2
            assert [a["status_code"] for a in d["attempts"]] == [500, 200]
            assert d["attempts"][0]["error"] == "HTTP 500" and d["delivered_at"]
    receiver.shutdown()


def test_a_dead_endpoint_fails_after_the_last_attempt(fast: LiveServer) -> None:
    fast.reset()
    receiver = Receiver(always_fail=True)
    with httpx.Client(base_url=fast.url) as http:
        admin = _admin(http)
        hook = http.post(
            "/api/v1/webhooks",
            headers=admin,
            json={"url": receiver.url, "event_types": ["conversation.created"]},
        ).json()
        http.post(
            "/api/v1/conversations",
            json={"channel": "webchat", "customer": {"email": "dead@example.com"}},
        )

        def failed() -> list[dict[str, Any]] | None:
            items = http.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=admin).json()[
                "items"
            ]
            return items if items and items[0]["status"] == "failed" else None

        [delivery] = _wait(failed)
        assert delivery["attempt_count"] == 3  # webhook_max_attempts
        assert [a["status_code"] for a in delivery["attempts"]] == [500, 500, 500]
        assert delivery["next_attempt_at"] is None
        time.sleep(0.5)
        assert len(receiver.requests) == 3  # no more tries after the last one
        # Deleting the subscription removes its deliveries; other workspaces never see it.
        assert http.delete(f"/api/v1/webhooks/{hook['id']}", headers=admin).status_code == 204
        assert (
            http.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=admin).status_code == 404
        )
    receiver.shutdown()


def test_bad_subscriptions_are_refused_clearly(fast: LiveServer) -> None:
    fast.reset()
    with httpx.Client(base_url=fast.url) as http:
        admin = _admin(http)
        for body in (
            {"url": "ftp://example.com/x", "event_types": ["message.created"]},
            {"url": "http://example.com/x", "event_types": ["nope.happened"]},
            {"url": "http://example.com/x", "event_types": []},
        ):
            r = http.post("/api/v1/webhooks", headers=admin, json=body)
            assert r.status_code == 422, r.text
            assert r.json()["detail"].startswith("Invalid request")


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(base_seconds=5, max_seconds=60)
    for attempt, full in ((1, 5), (2, 10), (3, 20), (4, 40), (5, 60), (9, 60)):
        delays = [policy.delay(attempt) for _ in range(200)]
        assert all(full / 2 <= d <= full for d in delays), attempt
        assert len({round(d, 6) for d in delays}) > 100  # jittered, not a fixed step


def test_signature_matches_the_reference_implementation() -> None:
    secret = new_secret()
    body = '{"type":"message.created","data":{"text":"hi"}}'
    now = int(time.time())
    ours = sign(secret, "msg_1", now, body)
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(now), "webhook-signature": ours}
    assert Webhook(secret).verify(body, headers) == json.loads(body)
    assert verify(secret, "msg_1", str(now), body, ours)
    assert not verify(secret, "msg_1", str(now), body + " ", ours)


def test_erasure_takes_the_customers_words_out_of_webhook_deliveries(fast: LiveServer) -> None:
    from sqlalchemy import select

    from hybridcx.models import WebhookDelivery

    fast.reset()
    receiver = Receiver()
    with httpx.Client(base_url=fast.url) as http:
        admin = _admin(http)
        events = ["message.created", "conversation.escalated"]
        hook = http.post(
            "/api/v1/webhooks", headers=admin, json={"url": receiver.url, "event_types": events}
        ).json()
        conv = http.post(
            "/api/v1/conversations",
            json={"channel": "webchat", "customer": {"email": "forget.me@example.com"}},
        ).json()
        auth = {"Authorization": f"Bearer {conv['customer_token']}"}
        for text in ("my neighbour Petunia stole my harp", "I want to speak to a person"):
            r = http.post(
                f"/api/v1/conversations/{conv['id']}/messages", json={"text": text}, headers=auth
            )
            assert r.status_code == 200, r.text

        def delivered() -> list[dict[str, Any]] | None:
            url = f"/api/v1/webhooks/{hook['id']}/deliveries"
            items: list[dict[str, Any]] = http.get(url, headers=admin).json()["items"]
            kinds = {d["event_type"] for d in items}
            done = all(d["status"] == "delivered" for d in items)
            return items if done and kinds == set(events) else None

        before = _wait(delivered)

        async def bodies() -> list[str]:
            async with fast.runtime.sessions() as s:
                return list((await s.execute(select(WebhookDelivery.body))).scalars())

        assert any("Petunia" in b for b in fast.call(bodies()))
        customer = http.get(f"/api/v1/conversations/{conv['id']}", headers=admin).json()
        r = http.delete(f"/api/v1/customers/{customer['customer']['id']}", headers=admin)
        assert r.status_code == 202, r.text
        request_url = f"/api/v1/privacy/erasures/{r.json()['id']}"
        _wait(lambda: http.get(request_url, headers=admin).json()["status"] == "completed")
        after = fast.call(bodies())
        assert not any("Petunia" in b or "forget.me" in b for b in after)
        # The event's delivery stays, so the worker never sends it again.
        assert any('"conversation.escalated"' in b for b in after)
        kept = {d["id"] for d in before if d["event_type"] == "conversation.escalated"}
        url = f"/api/v1/webhooks/{hook['id']}/deliveries"
        time.sleep(0.5)  # several polls of the worker
        items = http.get(url, headers=admin).json()["items"]
        assert {d["id"] for d in items if d["event_type"] == "conversation.escalated"} == kept
    receiver.shutdown()
