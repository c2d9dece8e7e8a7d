"""/healthz is liveness, /readyz readiness: 503 naming the failing part, over real HTTP."""

from __future__ import annotations

import httpx
from sqlalchemy import text

from hybridcx.ops.health import check_model, expected_heads
from tests.support import LiveServer
from tests.tcp_proxy import TcpProxy


def _ready(url: str) -> httpx.Response:
    return httpx.get(f"{url}/readyz", timeout=10)


def test_ready_when_everything_answers(server: LiveServer) -> None:
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    r = _ready(server.url)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ready" and body["failing"] == []
    assert set(body["checks"]) == {"database", "migrations", "model"}  # no Redis configured
    assert body["checks"]["model"]["detail"] == "version base"


def test_migrations_behind_is_503_naming_them(server: LiveServer) -> None:
    newest = max(expected_heads())

    async def set_back(forward: bool) -> None:
        async with server.runtime.engine.begin() as conn:
            if forward:
                await conn.execute(
                    text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": newest}
                )
            else:
                await conn.execute(
                    text("DELETE FROM alembic_version WHERE version_num = :v"), {"v": newest}
                )

    server.call(set_back(False))
    try:
        r = _ready(server.url)
        assert r.status_code == 503
        assert r.json()["failing"] == ["migrations"]
        assert "hybridcx db upgrade" in r.json()["checks"]["migrations"]["detail"]
        assert httpx.get(f"{server.url}/healthz").status_code == 200  # still alive
    finally:
        server.call(set_back(True))
    assert _ready(server.url).status_code == 200


def test_model_check() -> None:
    assert check_model(nlu_enabled=False, live_model=None).ok
    assert not check_model(nlu_enabled=True, live_model=None).ok


def test_unreachable_database_and_redis_are_named(
    proxied: tuple[LiveServer, TcpProxy, TcpProxy],
) -> None:
    live, pg_proxy, redis_proxy = proxied
    r = _ready(live.url)
    assert r.status_code == 200, r.text
    assert set(r.json()["checks"]) == {"database", "migrations", "model", "redis"}

    redis_proxy.cut()
    r = _ready(live.url)
    assert r.status_code == 200  # degraded: turns are still answered without Redis
    assert r.json()["status"] == "degraded"
    assert r.json()["failing"] == ["redis"]
    assert r.json()["checks"]["redis"]["detail"].startswith("unreachable")

    pg_proxy.cut()
    r = _ready(live.url)
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "unavailable"
    assert body["failing"] == ["database", "migrations", "redis"]
    assert body["checks"]["database"]["detail"].startswith("unreachable")
    assert httpx.get(f"{live.url}/healthz").status_code == 200  # liveness is not readiness

    pg_proxy.start()
    redis_proxy.start()
    r = _ready(live.url)  # the pool and the Redis client reconnect by themselves
    assert r.status_code == 200, r.text


def test_a_database_ahead_of_the_code_is_ready(server: LiveServer) -> None:
    """During a rolling upgrade the new release migrates first; old processes keep serving."""

    async def revisions(add: bool) -> None:
        async with server.runtime.engine.begin() as conn:
            sql = (
                "INSERT INTO alembic_version (version_num) VALUES ('9999')"
                if add
                else "DELETE FROM alembic_version WHERE version_num = '9999'"
            )
            await conn.execute(text(sql))

    server.call(revisions(True))
    try:
        r = _ready(server.url)
        assert r.status_code == 200, r.text
        assert "ahead of this code" in r.json()["checks"]["migrations"]["detail"]
    finally:
        server.call(revisions(False))
