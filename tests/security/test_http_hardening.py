"""Rate limits (429 + Retry-After), security headers, and bearer-only authentication."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hybridcx.app import create_app
from hybridcx.auth.service import sign_in
from hybridcx.config import Settings
from hybridcx.kit.db import transaction
from hybridcx.security.ratelimit import MemoryRateLimiter, RedisRateLimiter
from tests.support import IN_CI, REDIS_URL, Api, LiveServer, settings_for


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with tiny limits (and the rules-only pipeline, to start fast)."""
    data_dir: Path = tmp_path_factory.mktemp("strict")
    settings = settings_for(
        "sqlite",
        data_dir,
        nlu_enabled=False,
        rate_limit_per_ip=6,
        rate_limit_per_token=3,
        rate_limit_per_customer=2,
        rate_limit_login_per_ip=3,
        rate_limit_exempt=[],  # the tests come from 127.0.0.1, exempt by default
    )
    live = LiveServer(settings).start()
    live.reset()
    yield live
    live.stop()


def assert_429(r: httpx.Response, what: str) -> None:
    assert r.status_code == 429, r.text
    body = r.json()
    assert body["code"] == "rate_limited" and what in body["detail"]
    seconds = int(r.headers["retry-after"])
    assert 1 <= seconds <= 60 and body["retry_after"] == seconds
    assert r.headers["x-content-type-options"] == "nosniff"  # refusals carry the headers too


def test_login_attempts_per_address(strict: LiveServer) -> None:
    with httpx.Client(base_url=strict.url) as http:
        attempts = [
            http.post("/api/v1/auth/token", json={"email": "agent@example.com", "password": p})
            for p in ("wrong", "wrong", "demo-agent")
        ]
        assert [r.status_code for r in attempts] == [401, 401, 200]
        assert "set-cookie" not in attempts[-1].headers  # sign-in sets no cookie session
        assert_429(
            http.post(
                "/api/v1/auth/token", json={"email": "agent@example.com", "password": "demo-agent"}
            ),
            "per address",
        )
        # Staff endpoints are not public ones: the signed-in token still works.
        token = attempts[-1].json()["access_token"]
        r = http.get("/api/v1/agents/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200


def test_conversation_starts_per_customer_and_messages_per_token(strict: LiveServer) -> None:
    with httpx.Client(base_url=strict.url) as http:

        def start(email: str) -> httpx.Response:
            return http.post(
                "/api/v1/conversations", json={"channel": "webchat", "customer": {"email": email}}
            )

        first, second = start("limits@example.com"), start("limits@example.com")
        assert first.status_code == second.status_code == 201
        assert_429(start("Limits@Example.com"), "per customer")
        assert start("someone-else@example.com").status_code == 201

        conv = first.json()
        auth = {"Authorization": f"Bearer {conv['customer_token']}"}
        url = f"/api/v1/conversations/{conv['id']}/messages"
        for _ in range(3):
            assert http.post(url, json={"text": "hello"}, headers=auth).status_code == 200
        assert_429(http.post(url, json={"text": "hello"}, headers=auth), "per token")
        # Another conversation's token has its own allowance.
        other = second.json()
        r = http.post(
            f"/api/v1/conversations/{other['id']}/messages",
            json={"text": "hello"},
            headers={"Authorization": f"Bearer {other['customer_token']}"},
        )
        assert r.status_code == 200


def test_public_search_per_address(strict: LiveServer) -> None:
    with httpx.Client(base_url=strict.url) as http:
        codes = [http.get("/api/v1/help/articles").status_code for _ in range(6)]
        assert codes == [200] * 6
        assert_429(http.get("/api/v1/help/articles"), "per address")


def test_loopback_is_exempt_by_default_but_not_on_sign_in(tmp_path: Path) -> None:
    """The default exemption lets the demo and the test suite (all from 127.0.0.1) search and
    chat freely, but sign-in is limited from loopback too: behind a proxy on the same host
    every password guess comes from 127.0.0.1."""
    live = LiveServer(
        settings_for(
            "sqlite", tmp_path, nlu_enabled=False, rate_limit_login_per_ip=2, rate_limit_per_ip=2
        )
    ).start()
    try:
        live.reset()
        live.app.state.rate_limiter._clock = lambda: 0.0  # the window stands still
        with httpx.Client(base_url=live.url) as http:
            search = [http.get("/api/v1/help/articles").status_code for _ in range(4)]
            assert search == [200] * 4  # over the limit of 2, and still no 429
            emails = ("agent@example.com", "admin@example.com", "a@example.com", "b@example.com")
            signins = [
                http.post("/api/v1/auth/token", json={"email": e, "password": "wrong"})
                for e in emails
            ]
        assert [r.status_code for r in signins] == [401, 401, 429, 429]
        assert_429(signins[-1], "per address")
    finally:
        live.stop()


def test_the_window_slides() -> None:
    now = [0.0]
    limiter = MemoryRateLimiter(clock=lambda: now[0])

    async def hit() -> tuple[bool, float]:
        verdict = await limiter.hit("k", limit=2, window=10)
        return verdict.allowed, verdict.retry_after

    assert asyncio.run(hit()) == (True, 0.0)
    now[0] = 4.0
    assert asyncio.run(hit()) == (True, 0.0)
    now[0] = 6.0
    assert asyncio.run(hit()) == (False, 4.0)  # the hit at 0 leaves the window at 10
    now[0] = 10.5
    assert asyncio.run(hit())[0] is True
    assert asyncio.run(hit())[0] is False  # 4.0 and 10.5 are inside (0.5, 10.5]


def test_redis_limits_are_shared_between_processes() -> None:
    if not REDIS_URL:
        if IN_CI:
            pytest.fail("CI=true but HYBRIDCX_TEST_REDIS_URL is not set")
        pytest.skip("needs Redis: set HYBRIDCX_TEST_REDIS_URL (see DEVELOPERS.md)")

    async def run() -> list[bool]:
        # Two limiters are two server processes; a fresh prefix isolates this run.
        prefix = f"hybridcx:test:{id(run)}:{asyncio.get_running_loop().time()}:"
        a = RedisRateLimiter(REDIS_URL, prefix=prefix)
        b = RedisRateLimiter(REDIS_URL, prefix=prefix)
        try:
            results = []
            for limiter in (a, b, a, b, a):
                results.append((await limiter.hit("ip:1", limit=3, window=30)).allowed)
            refused = await b.hit("ip:1", limit=3, window=30)
            assert 0 < refused.retry_after <= 30
            return results
        finally:
            await a.close()
            await b.close()

    assert asyncio.run(run()) == [True, True, True, False, False]


async def _sign_in(server: LiveServer, email: str, password: str) -> str:
    async with transaction(server.runtime.sessions) as session:
        return await sign_in(session, email, password, hours=1)


# ---- headers -------------------------------------------------------------------------------


def _app_client(base_url: str = "http://test") -> httpx.AsyncClient:
    app = create_app(Settings(_env_file=None, rate_limit_enabled=False))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


async def _get(path: str, base_url: str = "http://test") -> httpx.Response:
    async with _app_client(base_url) as client:
        return await client.get(path)


def test_security_headers_on_api_responses_and_pages() -> None:
    api = asyncio.run(_get("/healthz"))
    assert api.headers["x-content-type-options"] == "nosniff"
    assert api.headers["referrer-policy"] == "same-origin"
    assert "camera=()" in api.headers["permissions-policy"]
    assert api.headers["x-frame-options"] == "DENY"
    assert api.headers["content-security-policy"].startswith("default-src 'none'")
    assert "strict-transport-security" not in api.headers  # plain http: no HSTS

    chat = asyncio.run(_get("/chat"))  # framed by the widget on customers' sites
    assert "frame-ancestors *" in chat.headers["content-security-policy"]
    assert "script-src 'self'" in chat.headers["content-security-policy"]
    assert "x-frame-options" not in chat.headers

    desk = asyncio.run(_get("/desk"))  # staff pages are never framed
    assert "frame-ancestors 'none'" in desk.headers["content-security-policy"]
    assert desk.headers["x-frame-options"] == "DENY"

    docs = asyncio.run(_get("/docs"))  # Swagger UI needs its CDN bundle
    assert "content-security-policy" not in docs.headers
    assert docs.headers["x-content-type-options"] == "nosniff"

    missing = asyncio.run(_get("/api/v1/no-such-thing"))
    assert missing.status_code == 404 and missing.headers["x-frame-options"] == "DENY"


def test_hsts_over_https() -> None:
    r = asyncio.run(_get("/healthz", base_url="https://test"))
    assert r.headers["strict-transport-security"].startswith("max-age=31536000")


def test_tokens_are_only_accepted_in_the_authorization_header(strict: LiveServer) -> None:
    """No cookie sessions, so no CSRF: a browser's ambient cookie never authenticates."""
    with httpx.Client(base_url=strict.url) as http:
        token = strict.call(_sign_in(strict, "admin@example.com", "demo-admin"))
        for name in ("access_token", "token", "session", "Authorization"):
            http.cookies.set(name, token)
        article = {"title": "CSRF", "body": "Should not be created."}
        assert http.post("/api/v1/articles", json=article).status_code == 401
        assert http.get("/api/v1/articles").status_code == 401
        assert http.get(f"/api/v1/articles?access_token={token}").status_code == 401
        http.cookies.clear()
        r = http.post(
            "/api/v1/articles", json=article, headers={"Authorization": f"Bearer {token}"}
        )
        assert r.status_code == 201


def test_nul_characters_are_refused_before_any_lookup(api: Api) -> None:
    """PostgreSQL cannot compare text holding a NUL: without this, these were 500s there."""
    token = api.login("admin@example.com", "demo-admin")
    for path in (
        "/api/v1/conversations/%00",
        "/api/v1/audit?actor=%00",
        "/api/v1/help/articles/x?inbox=a%00",
    ):
        r = api.staff(token, "GET", path)
        assert r.status_code == 422 and "NUL" in r.json()["detail"], (path, r.text)
    r = api.http.post(
        "/api/v1/auth/token",
        content='{"email": "a\\u0000@example.com", "password": "x"}',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"
    # An escaped backslash followed by "u0000" is ordinary text.
    conv = api.start()
    r = api.http.post(
        f"/api/v1/conversations/{conv['id']}/messages",
        content='{"text": "path C:\\\\u0000 here"}',
        headers={
            "Authorization": f"Bearer {conv['customer_token']}",
            "Content-Type": "application/json",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["messages"][0]["text"] == "path C:\\u0000 here"
