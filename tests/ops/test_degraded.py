"""PostgreSQL or Redis away, over real HTTP and WebSockets: a quick 503 for what needs the
database, degraded service without Redis, and both recover by themselves."""

from __future__ import annotations

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.support import Api, LiveServer, is_message, recv, recv_until
from tests.tcp_proxy import TcpProxy


def test_database_away_is_a_quick_503_and_the_pool_recovers(
    proxied: tuple[LiveServer, TcpProxy, TcpProxy],
) -> None:
    live, pg_proxy, _redis = proxied
    live.reset()
    api = Api(live.url, live.ws_url)
    try:
        conv = api.start()
        pg_proxy.cut()
        r = api.say(conv, "where is my order", **{"Idempotency-Key": "db-away"})
        assert r.status_code == 503, r.text
        assert r.json()["error"] == "database_unavailable"
        assert r.headers["Retry-After"] == "2"
        ready = httpx.get(f"{live.url}/readyz", timeout=10)
        assert ready.status_code == 503 and "database" in ready.json()["failing"]

        pg_proxy.start()
        r = api.say(conv, "where is my order", **{"Idempotency-Key": "db-away"})
        assert r.status_code == 200, r.text  # the pool reconnected; the retry is answered
        again = api.say(conv, "where is my order", **{"Idempotency-Key": "db-away"})
        assert again.json() == r.json()  # once
    finally:
        api.close()


def test_redis_away_turns_are_answered_and_sockets_resync_after(
    proxied: tuple[LiveServer, TcpProxy, TcpProxy],
) -> None:
    live, _pg, redis_proxy = proxied
    live.reset()
    api = Api(live.url, live.ws_url)
    try:
        conv = api.start()
        ws = api.customer_ws(conv)
        redis_proxy.cut()
        r = api.say(conv, "what are your opening hours", **{"Idempotency-Key": "redis-away"})
        assert r.status_code == 200, r.text
        assert any(m["author"] == "ai" for m in r.json()["messages"])
        # This process's own sockets still hear its events while Redis is away.
        recv_until(ws, is_message("opening hours", "customer"))
        ready = httpx.get(f"{live.url}/readyz", timeout=10)
        assert ready.status_code == 200 and ready.json()["status"] == "degraded"
        assert ready.json()["failing"] == ["redis"]

        redis_proxy.start()
        # Back: sockets are told to reconnect (1012) and catch up from the database.
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                recv(ws, timeout=15)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012
        assert httpx.get(f"{live.url}/readyz", timeout=10).json()["status"] == "ready"
    finally:
        api.close()


def test_a_server_out_of_connection_slots_is_unavailable_not_an_error() -> None:
    """PostgreSQL refusing a connection for want of slots (max_connections, or here the role's
    CONNECTION LIMIT) is a passing peak: the request gets the 503 with Retry-After that a
    database away gets, not a 500."""
    import asyncio

    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from hybridcx.kit.db import create_engine, database_unavailable
    from tests.support import postgres_url

    url = make_url(postgres_url())

    async def scenario() -> None:
        admin = create_engine(url.render_as_string(hide_password=False))
        async with admin.connect() as conn:
            await conn.execute(
                text(
                    "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hx_one_slot')"
                    " THEN CREATE ROLE hx_one_slot LOGIN CONNECTION LIMIT 1; END IF; END $$"
                )
            )
            await conn.commit()
        await admin.dispose()
        limited = create_engine(
            url.set(username="hx_one_slot").render_as_string(hide_password=False),
            pool_size=2,
            max_overflow=0,
        )
        try:
            async with limited.connect() as first:
                await first.execute(text("SELECT 1"))
                with pytest.raises(Exception) as refused:
                    async with limited.connect() as second:
                        await second.execute(text("SELECT 1"))
            assert "too many connections" in str(refused.value)
            assert database_unavailable(refused.value)
        finally:
            await limited.dispose()

    asyncio.run(scenario())
