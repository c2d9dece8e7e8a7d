"""Shared fixtures. Every database test runs on SQLite, and again on PostgreSQL when
HYBRIDCX_TEST_POSTGRES_URL is set (CI sets it; in CI a missing PostgreSQL is a failure)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests import clock
from tests.support import (
    IN_CI,
    Api,
    LiveServer,
    backend_params,
    postgres_url,
    settings_for,
    wipe_postgres,
)

if TYPE_CHECKING:
    from tests.fake_twilio import FakeTwilio

pytest_plugins = ["tests.fake_openai", "tests.fake_twilio"]

METRICS_TOKEN = "test-metrics-token-0123456789"


def pytest_configure(config: pytest.Config) -> None:
    clock.start()  # before collection: no test sees today's date (tests/clock.py)


def pytest_unconfigure(config: pytest.Config) -> None:
    clock.stop()


def pytest_report_header(config: pytest.Config) -> str:
    return f"clock: tests run at {clock.destination().isoformat()} (set {clock.ENV} to move it)"


@pytest.fixture(scope="session")
def nlu_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo intent model, trained once per test session and shared by every server."""
    from hybridcx.brain import load_brain

    path = tmp_path_factory.mktemp("nlu-model")
    load_brain(path)
    return path


@pytest.fixture(scope="session", params=backend_params())
def server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    nlu_model_dir: Path,
    twilio_server: FakeTwilio,
) -> Iterator[LiveServer]:
    backend = request.param
    if backend == "postgres":
        asyncio.run(wipe_postgres(postgres_url()))
    data_dir: Path = tmp_path_factory.mktemp(f"data-{backend}")
    settings = settings_for(
        backend,
        data_dir,
        presence_timeout_seconds=60,
        nlu_model_dir=nlu_model_dir,
        # channels: Twilio webhooks are signed with this token; outbound goes to the fake
        twilio_account_sid=twilio_server.account_sid,
        twilio_auth_token=twilio_server.auth_token,
        twilio_api_url=twilio_server.url,
        # One client address signs in hundreds of times a minute across the whole suite: the
        # per-address limits are exercised by tests/security/test_http_hardening.py instead.
        rate_limit_login_per_ip=100_000,
        rate_limit_per_ip=100_000,
        # Experiments are evaluated when read (the tests read them); the server's own timer
        # would roll a rollout back in the middle of a test that is still feeding it.
        experiments_check_seconds=0,
        # Quality scores are stored on resolve; tests that count them run the sweep themselves.
        quality_sweep_interval_seconds=0,
        # Resolved conversations go to the CRM fakes when a test runs the sync itself.
        integrations_sync_seconds=0,
        # Automation rules: tests run the engine themselves (macros.automation).
        automation_interval_seconds=0,
        metrics_token=METRICS_TOKEN,  # operations: /metrics is off without a token
    )
    live = LiveServer(settings).start()
    yield live
    live.stop()


@pytest.fixture
def api(server: LiveServer) -> Iterator[Api]:
    server.reset()
    client = Api(server.url, server.ws_url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def pgvector_url() -> Iterator[str]:
    """A PostgreSQL 16 with pgvector from the pinned wheel (requirements/pgvector-test.txt), on
    its own port and socket, for the whole session. Outside CI, a server that cannot start
    skips the tests that need it; in CI it fails them."""
    from tests.pgvector_server import BundledPostgres, BundledPostgresError

    try:
        bundled = BundledPostgres().start()
    except (BundledPostgresError, OSError, KeyError) as exc:
        if IN_CI:
            pytest.fail(f"CI=true but the bundled PostgreSQL with pgvector did not start: {exc}")
        pytest.skip(f"no bundled PostgreSQL with pgvector: {exc}")
    yield bundled.url
    bundled.stop()
