"""/metrics over real HTTP: protected, and its numbers move with real traffic."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from hybridcx.config import Settings
from tests.conftest import METRICS_TOKEN
from tests.support import Api, LiveServer

MESSAGES_ROUTE = "/api/v1/conversations/{conversation_id}/messages"


def scrape(api: Api) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    r = api.http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_need_the_token(api: Api) -> None:
    assert api.http.get("/metrics").status_code == 401
    r = api.http.get("/metrics", headers={"Authorization": "Bearer wrong-token-wrong-token"})
    assert r.status_code == 401 and r.json()["code"] == "unauthorized"


def test_metrics_follow_real_traffic(api: Api) -> None:
    before = scrape(api)
    conv = api.start()
    ws = api.customer_ws(conv)
    during_ws = scrape(api)
    ws.close()
    r = api.say(conv, "I want to speak to a person", **{"X-Request-ID": "trace-42"})
    assert r.status_code == 200, r.text
    assert r.headers["x-request-id"] == "trace-42"
    agent = api.login("agent@example.com", "demo-agent")
    queued = scrape(api)
    assert api.staff(agent, "POST", f"/api/v1/conversations/{conv['id']}/accept").status_code == 200
    after = scrape(api)

    # Requests by route template: the raw conversation id never becomes a label.
    key = "hybridcx_http_request_duration_seconds_count"
    assert (
        value(after, key, method="POST", route=MESSAGES_ROUTE, status="200")
        >= value(before, key, method="POST", route=MESSAGES_ROUTE, status="200") + 1
    )
    assert not any(conv["id"] in str(labels) for (_n, labels) in after)
    # The AI turn, step by step.
    step = "hybridcx_ai_step_duration_seconds_count"
    for name in ("understand", "routing_policy"):
        assert value(after, step, step=name) > value(before, step, step=name)
    assert value(after, "hybridcx_ai_turn_duration_seconds_count") > value(
        before, "hybridcx_ai_turn_duration_seconds_count"
    )
    # Messages by channel and author, escalations by reason, assignments by how.
    msgs = "hybridcx_messages_total"
    assert (
        value(after, msgs, channel="webchat", author="customer")
        == value(before, msgs, channel="webchat", author="customer") + 1
    )
    assert value(after, msgs, channel="webchat", author="ai") > value(
        before, msgs, channel="webchat", author="ai"
    )
    esc = "hybridcx_escalations_total"
    assert (
        value(after, esc, reason="customer_request")
        == value(before, esc, reason="customer_request") + 1
    )
    assign = "hybridcx_assignments_total"
    assert value(after, assign, via="accept") == value(before, assign, via="accept") + 1
    # Queue gauges from the database at scrape time (the api fixture starts from an empty queue).
    assert value(queued, "hybridcx_queue_depth", tier="2") == 1
    assert value(queued, "hybridcx_queue_oldest_wait_seconds", tier="2") >= 0
    assert value(after, "hybridcx_queue_depth", tier="2") == 0
    # Open WebSockets and the model version.
    sockets = "hybridcx_websocket_connections"
    assert value(during_ws, sockets, kind="customer") == value(before, sockets, kind="customer") + 1
    assert value(after, "hybridcx_model_info", version="base") == 1


def test_logs_carry_request_conversation_and_workspace_ids(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    conv = api.start()
    capsys.readouterr()
    r = api.say(conv, "hello", **{"X-Request-ID": "log-trace-7"})
    assert r.status_code == 200
    # The access line is written once the response has gone out, by the server's thread: it
    # may come a moment after the client has the answer.
    lines: list[str] = []
    deadline = time.monotonic() + 5
    while True:
        out = capsys.readouterr().out.splitlines()
        lines += [line for line in out if "log-trace-7" in line]
        access = [line for line in lines if "http.request" in line]
        if access or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert access, lines
    assert f"conversation_id={conv['id']}" in access[0]
    assert "workspace_id=" in access[0]
    assert f"route={MESSAGES_ROUTE}" in access[0]


@pytest.fixture
def no_token_server(tmp_path: Path) -> Iterator[LiveServer]:
    settings = Settings(
        data_dir=tmp_path,
        nlu_enabled=False,
        experiments_check_seconds=0,
        analytics_rollup_interval_seconds=0,
        _env_file=None,
    )
    live = LiveServer(settings).start()
    yield live
    live.stop()


def test_metrics_are_off_without_a_token(no_token_server: LiveServer) -> None:
    r = httpx.get(f"{no_token_server.url}/metrics")
    assert r.status_code == 404 and r.json()["code"] == "metrics_off"
    ready = httpx.get(f"{no_token_server.url}/readyz").json()
    assert ready["checks"]["model"]["ok"] and "disabled" in ready["checks"]["model"]["detail"]
