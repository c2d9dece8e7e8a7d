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
