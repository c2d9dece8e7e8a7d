"""schemathesis fuzzes the whole HTTP API from its OpenAPI schema, as a signed-in admin.

Every operation gets generated requests (valid and invalid); every answer must be a non-5xx,
with a status code, content type and body that the schema documents. Deterministic
(``derandomize``) and bounded (a few examples per operation).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support import LiveServer, backend_params, postgres_url, settings_for, wipe_postgres

CUSTOMER_ROUTES = ("/messages", "/survey", "/wait", "{conversation_id}")
MAX_EXAMPLES = int(os.environ.get("HYBRIDCX_FUZZ_EXAMPLES", "10"))
REQUEST_TIMEOUT = 120.0
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module", params=backend_params())
def fuzz_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, nlu_model_dir: Path
) -> Iterator[LiveServer]:
    """Its own server and database (the fuzzer edits and deletes), without rate limits.
    PostgreSQL is stricter than SQLite (a NUL in a text parameter is an error there)."""
    if request.param == "postgres":
        asyncio.run(wipe_postgres(postgres_url()))
    data_dir = tmp_path_factory.mktemp("fuzz")
    settings = settings_for(
        request.param,
        data_dir,
        nlu_model_dir=nlu_model_dir,
        rate_limit_enabled=False,
        webhooks_enabled=False,
    )
    live = LiveServer(settings).start()
    live.reset()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def staff_headers(fuzz_server: LiveServer) -> dict[str, str]:
    r = httpx.post(
        f"{fuzz_server.url}/api/v1/auth/token",
        json={"email": "admin@example.com", "password": "demo-admin"},
    )
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _fuzz(
    operation: Any,
    mode: GenerationMode,
    headers: dict[str, str],
    path_parameters: dict[str, str] | None = None,
) -> None:
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],  # no shrinking: report, don't minimise
    )
    def run(case: Any) -> None:
        # schemathesis waits 10 s for an answer by default; on a 2-core machine busy with the
        # rest of the suite, a slow request is not a failure, and a timeout that the replay
        # does not meet is reported as "unreliable" instead of naming itself.
        case.call_and_validate(headers=headers, checks=CHECKS, timeout=REQUEST_TIMEOUT)

    run()


def _describe(exc: BaseException) -> str:
    """The failure with every sub-failure (schemathesis reports groups of them)."""
    parts = [f"{type(exc).__name__}: {exc}"]
    for sub in getattr(exc, "exceptions", ()):
        parts.append(_describe(sub))
    if exc.__cause__ is not None:
        parts.append(f"caused by {_describe(exc.__cause__)}")
    return "\n".join(parts)[:3000]


@pytest.mark.slow
# The whole API, a few examples per operation: 2-3 minutes on a quiet machine, 10+ on a busy
# one. The suite's 120 s per test fired inside a Hypothesis example, which Hypothesis then
# reported as an "unreliable" failure of whatever operation was running at that moment.
@pytest.mark.timeout(1800)
def test_api_answers_as_documented(fuzz_server: LiveServer, staff_headers: dict[str, str]) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzz_server.url}/openapi.json")
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(operation, mode, staff_headers)
            except Unsatisfiable:
                # Nothing to make invalid: e.g. only a string path parameter, and every
                # string is a valid string. The positive run covered the operation.
                assert mode is GenerationMode.NEGATIVE, operation.label
            except (Exception, BaseExceptionGroup) as exc:  # collect them all, then report
                failures.append(f"{operation.label} [{mode.value}]: {_describe(exc)}")
    # Again on a real conversation (so requests get past the lookup), as its customer for the
    # customer's routes and as the admin for the rest.
    conv = httpx.post(
        f"{fuzz_server.url}/api/v1/conversations",
        json={"channel": "webchat", "customer": {"email": "fuzz@example.com"}},
    ).json()
    customer = {"Authorization": f"Bearer {conv['customer_token']}"}
    for operation in operations:
        if "{conversation_id}" not in operation.path:
            continue
        headers = customer if operation.path.endswith(CUSTOMER_ROUTES) else staff_headers
        try:
            _fuzz(operation, GenerationMode.POSITIVE, headers, {"conversation_id": conv["id"]})
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.label} [real conversation]: {_describe(exc)}")
    assert not failures, "\n\n".join(failures)
