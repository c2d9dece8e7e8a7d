"""A server whose PostgreSQL and Redis go through proxies a test can cut."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from hybridcx.config import Settings
from tests.support import IN_CI, POSTGRES_URL, REDIS_URL, LiveServer
from tests.tcp_proxy import TcpProxy


def _need(value: str | None, what: str) -> str:
    if value:
        return value
    if IN_CI:
        pytest.fail(f"CI=true but {what} is not set")
    pytest.skip(f"readiness outage tests need {what} (CI sets it; see DEVELOPERS.md)")


@pytest.fixture
def proxied(tmp_path: Path, nlu_model_dir: Path) -> Iterator[tuple[LiveServer, TcpProxy, TcpProxy]]:
    """A server whose PostgreSQL and Redis connections both go through cuttable proxies."""
    pg = urlsplit(_need(POSTGRES_URL, "HYBRIDCX_TEST_POSTGRES_URL"))
    redis = urlsplit(_need(REDIS_URL, "HYBRIDCX_TEST_REDIS_URL"))
    pg_proxy = TcpProxy(pg.hostname or "127.0.0.1", pg.port or 5432).start()
    redis_proxy = TcpProxy(redis.hostname or "127.0.0.1", redis.port or 6379).start()
    pg_url = pg._replace(netloc=f"{pg.username}@127.0.0.1:{pg_proxy.port}").geturl()
    redis_url = redis._replace(netloc=f"127.0.0.1:{redis_proxy.port}").geturl()
    settings = Settings(
        data_dir=tmp_path,
        database_url=pg_url,
        redis_url=redis_url,
        nlu_model_dir=nlu_model_dir,
        experiments_check_seconds=0,
        analytics_rollup_interval_seconds=0,
        readiness_timeout_seconds=2,
        _env_file=None,
    )
    live = LiveServer(settings).start()
    yield live, pg_proxy, redis_proxy
    live.stop()
    pg_proxy.cut()
    redis_proxy.cut()
