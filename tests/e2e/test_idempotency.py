"""Retrying a customer message with the same Idempotency-Key stores it once and answers the same."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from hybridcx.pipeline.base import Pipeline
from tests.support import Api


def customer_get(api: Api, conv: dict[str, Any]) -> dict[str, Any]:
    r = api.http.get(
        f"/api/v1/conversations/{conv['id']}",
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    )
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def by_author(read: dict[str, Any], author: str) -> list[dict[str, Any]]:
    return [m for m in read["messages"] if m["author"] == author]


def test_the_same_key_twice_stores_once_and_returns_the_same_response(api: Api) -> None:
    conv = api.start()
    first = api.say(conv, "Where is my order?", **{"Idempotency-Key": "key-1"})
    assert first.status_code == 200, first.text
    second = api.say(conv, "Where is my order?", **{"Idempotency-Key": "key-1"})
    assert second.status_code == 200, second.text

    assert second.json() == first.json()
    ids = [m["id"] for m in first.json()["messages"]]
    assert [m["id"] for m in second.json()["messages"]] == ids

    read = customer_get(api, conv)
    assert [m["text"] for m in by_author(read, "customer")] == ["Where is my order?"]
    # The AI answered once too: every message in the transcript after the greeting is from
    # this one turn.
    assert [m["id"] for m in read["messages"][1:]] == ids

    # And a third retry, later, still the same.
    third = api.say(conv, "Where is my order?", **{"Idempotency-Key": "key-1"})
    assert third.status_code == 200 and third.json() == first.json()
    assert len(customer_get(api, conv)["messages"]) == len(read["messages"])


def test_a_different_key_stores_a_second_message(api: Api) -> None:
    conv = api.start()
    one = api.say(conv, "Same words", **{"Idempotency-Key": "key-a"})
    two = api.say(conv, "Same words", **{"Idempotency-Key": "key-b"})
    assert one.status_code == 200 and two.status_code == 200, (one.text, two.text)
    assert one.json()["messages"][0]["id"] != two.json()["messages"][0]["id"]
    customer = by_author(customer_get(api, conv), "customer")
    assert [m["text"] for m in customer] == ["Same words", "Same words"]


def test_without_a_key_every_post_is_a_new_message(api: Api) -> None:
    conv = api.start()
    assert api.say(conv, "hello").status_code == 200
    assert api.say(conv, "hello").status_code == 200
    assert [m["text"] for m in by_author(customer_get(api, conv), "customer")] == ["hello"] * 2


def test_reusing_a_key_for_different_text_is_422(api: Api) -> None:
    conv = api.start()
    first = api.say(conv, "original text", **{"Idempotency-Key": "key-x"})
    assert first.status_code == 200, first.text

    r = api.say(conv, "different text", **{"Idempotency-Key": "key-x"})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, str) and "idempotency-key" in detail.lower(), detail

    read = customer_get(api, conv)
    assert [m["text"] for m in by_author(read, "customer")] == ["original text"]
    # The original retry still works after the refused one.
    again = api.say(conv, "original text", **{"Idempotency-Key": "key-x"})
    assert again.status_code == 200 and again.json() == first.json()


def test_keys_belong_to_one_conversation(api: Api) -> None:
    a = api.start("alex@example.com", "Alex")
    b = api.start("jordan.reed@example.com", "Jordan")
    ra = api.say(a, "shared key", **{"Idempotency-Key": "same-key"})
    rb = api.say(b, "shared key", **{"Idempotency-Key": "same-key"})
    assert ra.status_code == 200 and rb.status_code == 200, (ra.text, rb.text)
    assert ra.json()["messages"][0]["id"] != rb.json()["messages"][0]["id"]
    assert len(by_author(customer_get(api, a), "customer")) == 1
    assert len(by_author(customer_get(api, b), "customer")) == 1
    # Someone else's key does not let you read their turn.
    r = api.http.post(
        f"/api/v1/conversations/{b['id']}/messages",
        json={"text": "shared key"},
        headers={"Authorization": f"Bearer {a['customer_token']}", "Idempotency-Key": "same-key"},
    )
    assert r.status_code == 403, r.text
    assert "messages" not in r.json()


def test_key_length_is_checked(api: Api) -> None:
    conv = api.start()
    r = api.say(conv, "too long a key", **{"Idempotency-Key": "k" * 201})
    assert r.status_code == 422, r.text
    assert isinstance(r.json()["detail"], str) and r.json()["detail"]
    assert by_author(customer_get(api, conv), "customer") == []
    ok = api.say(conv, "longest key", **{"Idempotency-Key": "k" * 200})
    assert ok.status_code == 200, ok.text


def race(api: Api, conv: dict[str, Any], text: str, key: str, n: int = 2) -> list[Any]:
    """``n`` threads, each with its own connection, post the same keyed message at once."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def post(i: int) -> None:
        with httpx.Client(base_url=api.base_url, timeout=60) as client:
            barrier.wait()
            try:
                results[i] = client.post(
                    f"/api/v1/conversations/{conv['id']}/messages",
                    json={"text": text},
                    headers={
                        "Authorization": f"Bearer {conv['customer_token']}",
                        "Idempotency-Key": key,
                    },
                )
            except Exception as exc:  # reported by the caller
                results[i] = exc

    threads = [threading.Thread(target=post, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    return results


def test_concurrent_requests_with_the_same_key_store_one_message(api: Api) -> None:
    for attempt in range(3):
        conv = api.start()
        text = f"Concurrent hello {attempt}"
        results = race(api, conv, text, key=f"race-{attempt}")

        responses = []
        for r in results:
            assert isinstance(r, httpx.Response), r
            assert r.status_code == 200, r.text
            responses.append(r.json())

        read = customer_get(api, conv)
        assert [m["text"] for m in by_author(read, "customer")] == [text]
        # One turn: the AI did not answer twice either.
        transcript = [(m["author"], m["text"][:40]) for m in read["messages"][1:]]
        turn = [(m["author"], m["text"][:40]) for m in responses[0]["messages"]]
        assert transcript == turn, f"transcript after the greeting: {transcript}"
        # And both callers got the same answer (the same message ids).
        assert [m["id"] for m in responses[0]["messages"]] == [
            m["id"] for m in responses[1]["messages"]
        ]
        assert responses[0] == responses[1]


def test_a_failed_ai_turn_keeps_the_message_and_a_retry_answers_it(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The message and its answer commit together; when the AI step fails, the message is still
    stored (once), the customer gets a 500, and a retry with the same key answers it at once."""
    conv = api.start()
    real = Pipeline.arun
    calls = {"n": 0}

    async def fails_once(self: Pipeline, ctx: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("the model fell over")
        return await real(self, ctx)

    monkeypatch.setattr(Pipeline, "arun", fails_once)
    failed = api.say(conv, "What are your opening hours?", **{"Idempotency-Key": "k-1"})
    assert failed.status_code == 500, failed.text
    stored = customer_get(api, conv)
    assert [m["text"] for m in by_author(stored, "customer")] == ["What are your opening hours?"]
    assert len(by_author(stored, "ai")) == 1  # the greeting only: no answer yet

    retried = api.say(conv, "What are your opening hours?", **{"Idempotency-Key": "k-1"})
    assert retried.status_code == 200, retried.text
    assert [m["author"] for m in retried.json()["messages"]][:2] == ["customer", "ai"]
    read = customer_get(api, conv)
    assert [m["text"] for m in by_author(read, "customer")] == ["What are your opening hours?"]
    assert len(by_author(read, "ai")) == 2
    assert calls["n"] == 2
