"""With CI=true and no PostgreSQL URL, every PostgreSQL-parametrised suite fails with the one
clear message, never with an error from deep inside SQLAlchemy (the URL was None)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Suites whose PostgreSQL server fixture is their own (not tests/conftest.py's `server`).
OWN_FIXTURES = [
    "tests/security/test_webhooks.py::test_bad_subscriptions_are_refused_clearly",
    "tests/privacy/test_at_rest.py::test_migration_seals_rows_written_before_it",
]


def test_ci_without_postgres_url_says_what_is_missing() -> None:
    env = {k: v for k, v in os.environ.items() if k != "HYBRIDCX_TEST_POSTGRES_URL"}
    env["CI"] = "true"
    ids = [f"{test_id}[postgres]" for test_id in OWN_FIXTURES]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-rfE", "-p", "no:cacheprovider", *ids],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=110,
    )
    out = run.stdout + run.stderr
    assert run.returncode != 0, out
    for test_id in OWN_FIXTURES:
        [line] = [x for x in out.splitlines() if x.startswith(("FAILED", "ERROR")) and test_id in x]
        assert "CI=true but HYBRIDCX_TEST_POSTGRES_URL is not set" in line, out
    assert "NoneType" not in out, out
