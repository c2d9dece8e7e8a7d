"""Password guessing is slowed down per account, whatever the client address, across server
processes (database or Redis); X-Forwarded-For counts only from configured proxies. Over real
HTTP; the throttle's clock is injected, so nothing here waits or depends on today's date."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from hybridcx.auth.throttle import LoginThrottle
from tests.support import IN_CI, REDIS_URL, Api, LiveServer, settings_for

ADMIN = ("admin@example.com", "demo-admin")
START = datetime(2030, 1, 15, 9, 0, 0)


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _freeze(live: LiveServer) -> tuple[LoginThrottle, Clock]:
    throttle: LoginThrottle = live.app.state.login_throttle
    clock = Clock()
    throttle.clock = clock
    return throttle, clock


@pytest.fixture
def clock(server: LiveServer, api: Api) -> Iterator[Clock]:
    throttle: LoginThrottle = server.app.state.login_throttle
    saved = throttle.clock
    _, frozen = _freeze(server)
    yield frozen
    throttle.clock = saved


def sign_in(http: httpx.Client | Api, email: str, password: str, **headers: str) -> httpx.Response:
    client = http.http if isinstance(http, Api) else http
    return client.post(
        "/api/v1/auth/token", json={"email": email, "password": password}, headers=headers
    )


def assert_throttled(r: httpx.Response, seconds: int) -> dict[str, Any]:
    assert r.status_code == 429, r.text
    assert r.headers["retry-after"] == str(seconds)
    body: dict[str, Any] = r.json()
    assert body["code"] == "login_throttled" and body["retry_after"] == seconds
    return body


def test_failed_sign_ins_lock_the_account_the_same_whether_or_not_it_exists(
    server: LiveServer, api: Api, clock: Clock
) -> None:
    for who in (ADMIN[0], "nobody@example.com"):
        codes = [sign_in(api, who, f"guess-{i}").status_code for i in range(5)]
        assert codes == [401] * 5, who
    admin, ghost = sign_in(api, ADMIN[0], "guess-6"), sign_in(api, "nobody@example.com", "x")
    assert assert_throttled(admin, 900) == assert_throttled(ghost, 900)
    assert admin.headers["content-type"] == ghost.headers["content-type"]
    # The right password is refused too while locked: a lock must not tell a guess was right.
    assert_throttled(sign_in(api, *ADMIN), 900)
    # Other accounts are not affected.
    assert sign_in(api, "agent@example.com", "demo-agent").status_code == 200

    clock.advance(899)
    assert_throttled(sign_in(api, *ADMIN), 1)
    clock.advance(1)
    token = sign_in(api, *ADMIN).json()["access_token"]
    # A successful sign-in forgets the failures: four more are answered 401 again.
    assert [sign_in(api, ADMIN[0], "oops").status_code for _ in range(4)] == [401] * 4

    # The lockout is in the audit log, under the account's workspace.
    r = api.staff(token, "GET", "/api/v1/audit?action=auth.locked_out")
    [entry] = r.json()["items"]
    assert entry["target_type"] == "staff" and entry["details"]["email"] == ADMIN[0]
    assert entry["details"]["failures"] == 5


def test_the_window_slides_so_at_most_five_guesses_reach_the_password_per_window(
    server: LiveServer, api: Api, clock: Clock
) -> None:
    for _ in range(5):  # failures at 0, 100, 200, 300, 400 s
        assert sign_in(api, ADMIN[0], "wrong").status_code == 401
        clock.advance(100)
    assert_throttled(sign_in(api, ADMIN[0], "wrong"), 400)  # at 500 s: the one at 0 leaves at 900
    clock.advance(400)
    assert sign_in(api, ADMIN[0], "wrong").status_code == 401  # a slot came free
    assert_throttled(sign_in(api, ADMIN[0], "wrong"), 100)  # the next one at 1000 s


def test_the_lock_holds_across_server_processes_sharing_the_database(
    server: LiveServer, api: Api, clock: Clock, tmp_path: Path
) -> None:
    backend = "postgres" if server.settings.database_url else "sqlite"
    other = LiveServer(
        settings_for(
            backend,
            tmp_path,
            nlu_enabled=False,
            database_url=server.settings.effective_database_url,
            encryption_key_file=server.settings.data_dir / "keys.json",
        )
    ).start()
    try:
        _, other_clock = _freeze(other)
        with httpx.Client(base_url=other.url) as http:
            assert [sign_in(api, ADMIN[0], "a").status_code for _ in range(3)] == [401] * 3
            assert [sign_in(http, ADMIN[0], "b").status_code for _ in range(2)] == [401] * 2
            assert_throttled(sign_in(api, *ADMIN), 900)
            other_clock.advance(300)
            assert_throttled(sign_in(http, *ADMIN), 600)
    finally:
        other.stop()


def test_the_lock_holds_across_processes_through_redis(tmp_path: Path) -> None:
    if not REDIS_URL:
        if IN_CI:
            pytest.fail("CI=true but HYBRIDCX_TEST_REDIS_URL is not set")
        pytest.skip("Redis tests need HYBRIDCX_TEST_REDIS_URL (see DEVELOPERS.md)")
    # Two servers with their own databases: only Redis is shared (and the keys, as in any
    # deployment, so the account's hash is the same).
    first = LiveServer(
        settings_for("sqlite", tmp_path / "a", nlu_enabled=False, redis_url=REDIS_URL)
    ).start()
    second = LiveServer(
        settings_for(
            "sqlite",
            tmp_path / "b",
            nlu_enabled=False,
            redis_url=REDIS_URL,
            encryption_key_file=tmp_path / "a" / "keys.json",
        )
    ).start()
    try:
        first.reset()
        second.reset()
        _freeze(first)
        _freeze(second)
        email = f"redis-{tmp_path.name}@example.com"
        with httpx.Client(base_url=first.url) as a, httpx.Client(base_url=second.url) as b:
            assert [sign_in(a, email, "x").status_code for _ in range(3)] == [401] * 3
            assert [sign_in(b, email, "x").status_code for _ in range(2)] == [401] * 2
            assert_throttled(sign_in(a, email, "x"), 900)
            assert_throttled(sign_in(b, email, "x"), 900)
    finally:
        first.stop()
        second.stop()


@pytest.fixture
def behind_proxy(tmp_path: Path) -> Iterator[LiveServer]:
    """A server behind a reverse proxy on the same host (127.0.0.1, trusted), with a sign-in
    limit of 3 per address per minute."""
    live = LiveServer(
        settings_for(
            "sqlite",
            tmp_path,
            nlu_enabled=False,
            trusted_proxies=["127.0.0.1", "10.0.0.0/8"],
            rate_limit_login_per_ip=3,
        )
    ).start()
    live.reset()
    live.app.state.rate_limiter._clock = lambda: 0.0  # the per-address window stands still
    _freeze(live)
    yield live
    live.stop()


def test_per_address_limit_uses_the_forwarded_client_from_a_trusted_proxy(
    behind_proxy: LiveServer,
) -> None:
    with httpx.Client(base_url=behind_proxy.url) as http:

        def from_(ip: str, email: str) -> int:
            return sign_in(http, email, "wrong", **{"X-Forwarded-For": ip}).status_code

        # The proxy appends the client to what the client sent: the client cannot pick it.
        assert [from_(f"6.6.6.{i}, 203.0.113.7", f"u{i}@example.com") for i in range(3)] == [
            401
        ] * 3
        r = sign_in(http, "u9@example.com", "wrong", **{"X-Forwarded-For": "203.0.113.7"})
        assert r.status_code == 429 and r.json()["code"] == "rate_limited"
        # Another client behind the same proxy (through an inner trusted hop) is not limited.
        assert from_("198.51.100.2, 10.1.2.3", "v@example.com") == 401
        # The audit log records the forwarded client; the proxy's https reaches HSTS.
        assert (
            sign_in(http, ADMIN[0], "wrong", **{"X-Forwarded-For": "198.51.100.4"}).status_code
            == 401
        )
        token = sign_in(http, *ADMIN, **{"X-Forwarded-For": "198.51.100.5"}).json()
        auth = {"Authorization": f"Bearer {token['access_token']}"}
        items = http.get("/api/v1/audit?action=auth.", headers=auth).json()["items"]
        assert [(i["action"], i["ip"]) for i in items] == [
            ("auth.login", "198.51.100.5"),
            ("auth.login_failed", "198.51.100.4"),
        ]
        r = http.get("/healthz", headers={"X-Forwarded-Proto": "https"})
        assert r.headers["strict-transport-security"].startswith("max-age=")


def test_the_account_lock_does_not_care_about_the_address(behind_proxy: LiveServer) -> None:
    with httpx.Client(base_url=behind_proxy.url) as http:
        codes = [
            sign_in(http, ADMIN[0], "guess", **{"X-Forwarded-For": f"203.0.113.{i}"}).status_code
            for i in range(5)
        ]
        assert codes == [401] * 5
        r = sign_in(http, *ADMIN, **{"X-Forwarded-For": "198.51.100.99"})
        assert_throttled(r, 900)


def test_forwarded_headers_from_anyone_else_are_ignored(server: LiveServer, api: Api) -> None:
    """The default trusts no proxy: a client on this host cannot choose its address."""
    r = sign_in(api, ADMIN[0], "wrong", **{"X-Forwarded-For": "203.0.113.9"})
    assert r.status_code == 401
    token = api.login(*ADMIN)
    [entry] = api.staff(token, "GET", "/api/v1/audit?action=auth.login_failed").json()["items"]
    assert entry["ip"] == "127.0.0.1"
    r = api.http.get(
        "/healthz", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    )
    assert "strict-transport-security" not in r.headers


def test_hybridcx_serve_leaves_forwarded_headers_to_the_app(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """uvicorn believes X-Forwarded-For from 127.0.0.1 unless told not to: `hybridcx serve`
    turns that off, so HYBRIDCX_TRUSTED_PROXIES alone decides."""
    import uvicorn

    from hybridcx import cli

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw))
    cli._serve(settings_for("sqlite", tmp_path, nlu_enabled=False), None, None)
    assert seen["proxy_headers"] is False
