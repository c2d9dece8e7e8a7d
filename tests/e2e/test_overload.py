"""Past capacity the server sheds load: requests beyond the in-flight limit and its short queue
get 503 with Retry-After before anything is stored, and a retry with the same Idempotency-Key
stores the message once. Over real HTTP, on a server with a limit of one turn."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from bench.load import LoadConfig, Text
from bench.load import run as run_bench

from hybridcx.kit.overload import InflightGate
from tests.support import Api, LiveServer, reset_database, settings_for


@pytest.fixture
def tiny(tmp_path: Path, nlu_model_dir: Path) -> Iterator[LiveServer]:
    settings = settings_for(
        "sqlite",
        tmp_path,
        nlu_model_dir=nlu_model_dir,
        max_inflight_turns=1,
        inflight_queue_size=1,
        inflight_wait_seconds=60,
        experiments_check_seconds=0,
    )
    live = LiveServer(settings).start()
    live.call(reset_database(live.runtime.sessions))
    try:
        yield live
    finally:
        live.stop()


def _gate(live: LiveServer) -> InflightGate:
    return live.app.state.inflight_gate  # type: ignore[no-any-return]


def _hold(live: LiveServer) -> None:
    """Take the one turn slot, as a long turn would."""

    async def take() -> None:
        assert await _gate(live).acquire()

    live.call(take())


def _free(live: LiveServer) -> None:
    async def give() -> None:
        _gate(live).release()

    live.call(give())


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"never saw: {what}"
        time.sleep(0.01)


def _customer_texts(api: Api, conv: dict[str, Any]) -> list[str]:
    r = api.http.get(
        f"/api/v1/conversations/{conv['id']}",
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    )
    assert r.status_code == 200, r.text
    return [m["text"] for m in r.json()["messages"] if m["author"] == "customer"]


def test_past_the_limit_and_the_queue_a_message_gets_503_and_is_not_stored(
    tiny: LiveServer,
) -> None:
    api = Api(tiny.url, tiny.ws_url)
    conv = api.start()
    _hold(tiny)
    waiting: dict[str, httpx.Response] = {}
    queued = threading.Thread(
        target=lambda: waiting.update(
            r=api.say(conv, "where is my order?", **{"Idempotency-Key": "k1"})
        )
    )
    try:
        queued.start()
        _until(lambda: _gate(tiny).waiting == 1, "the first message waiting for the slot")

        shed = api.say(conv, "what time do you open?", **{"Idempotency-Key": "k2"})
        assert shed.status_code == 503
        body = shed.json()
        assert body["code"] == "overloaded"
        assert int(shed.headers["Retry-After"]) == body["retry_after"] >= 1
        assert "Nothing you sent was stored" in body["detail"]
        assert "Idempotency-Key" in body["detail"]
        start = api.http.post(
            "/api/v1/conversations",
            json={"channel": "webchat", "customer": {"email": "sam@example.com"}},
        )
        assert start.status_code == 503  # starting a conversation is a turn too
    finally:
        _free(tiny)
        queued.join(timeout=60)
    assert waiting["r"].status_code == 200  # the waiting one was served once the slot freed

    retried = api.say(conv, "what time do you open?", **{"Idempotency-Key": "k2"})
    assert retried.status_code == 200
    again = api.say(conv, "what time do you open?", **{"Idempotency-Key": "k2"})
    assert again.json()["messages"][0]["id"] == retried.json()["messages"][0]["id"]
    assert _customer_texts(api, conv) == ["where is my order?", "what time do you open?"]
    assert _gate(tiny).in_flight == 0
    api.close()


def test_other_requests_pass_while_turns_are_shed(tiny: LiveServer) -> None:
    api = Api(tiny.url, tiny.ws_url)
    _hold(tiny)
    try:
        assert api.http.get("/healthz").status_code == 200
        token = api.login("agent@example.com", "demo-agent")
        assert api.staff(token, "GET", "/api/v1/queue").status_code == 200
    finally:
        _free(tiny)
        api.close()


def test_concurrent_customers_all_stored_exactly_once_after_503s(tiny: LiveServer) -> None:
    """Six customers against one slot: some are told to come back, and after their retries
    every message is stored once."""
    config = LoadConfig(
        urls=(tiny.url,),
        customers=6,
        messages=3,
        warmup=0,
        texts=tuple(
            Text("question", t)
            for t in ("where is my order?", "what time do you open?", "thanks", "hi")
        ),
        retries=60,
    )
    _hold(tiny)  # every start meets a full server until the slot frees
    result: dict[str, Any] = {}
    bench = threading.Thread(target=lambda: result.update(report=asyncio.run(run_bench(config))))
    bench.start()
    try:
        _until(lambda: _gate(tiny).turned_away >= 4, "customers turned away")
    finally:
        _free(tiny)
        bench.join(timeout=110)
    report = result["report"]
    assert report.non_2xx.get("503", 0) >= 4
    assert set(report.non_2xx) == {"503"}
    assert report.acknowledged == 18 and report.failed == 0
    assert report.conversations_read == 6
    assert report.lost == 0 and report.stored_twice == 0
    assert _gate(tiny).in_flight == 0 and _gate(tiny).waiting == 0
