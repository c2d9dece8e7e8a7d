"""The shared encoder: each text embedded once, concurrent turns batched, the loop left free."""

from __future__ import annotations

import asyncio
import threading

import numpy as np

from hybridcx.nlu.embeddings import SharedEncoder


class SlowEmbedder:
    """Deterministic vectors; records every call and the thread it ran on."""

    model_id = "slow"
    dim = 4

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.threads: set[str] = set()
        self.release = threading.Event()

    def encode(self, texts: list[str]) -> np.ndarray:
        self.release.wait(timeout=5)
        self.calls.append(list(texts))
        self.threads.add(threading.current_thread().name)
        out = np.array([[len(t), sum(map(ord, t)) % 97, 1.0, 0.0] for t in texts], np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_a_text_is_embedded_once_however_often_it_is_asked_for() -> None:
    inner = SlowEmbedder()
    inner.release.set()
    encoder = SharedEncoder(inner)
    first = encoder.encode(["where is my order", "hello"])
    again = encoder.encode(["hello", "where is my order", "hello"])
    assert inner.calls == [["where is my order", "hello"]]
    assert np.array_equal(again[1], first[0]) and np.array_equal(again[0], first[1])
    assert encoder.texts_encoded == 2 and encoder.batches == 1


def test_concurrent_turns_share_batches_off_the_event_loop() -> None:
    inner = SlowEmbedder()
    encoder = SharedEncoder(inner)

    async def scenario() -> tuple[int, list[np.ndarray]]:
        first = asyncio.ensure_future(encoder.encode_async(["first"]))
        await asyncio.sleep(0.05)  # the worker holds "first" (the model is busy)
        others = [asyncio.ensure_future(encoder.encode_async([f"text {i}"])) for i in range(8)]
        ticks = 0
        while not inner.calls and ticks < 5:  # the loop keeps running while the model works
            ticks += 1
            await asyncio.sleep(0.01)
        inner.release.set()
        return ticks, await asyncio.gather(first, *others)

    ticks, results = asyncio.run(scenario())
    assert ticks == 5  # the loop was never blocked by the model
    assert inner.calls == [["first"], [f"text {i}" for i in range(8)]]  # two batches for nine
    assert all(r.shape == (1, 4) for r in results)
    assert inner.threads and "MainThread" not in inner.threads
    assert np.array_equal(results[3][0], encoder.encode(["text 2"])[0])


def test_a_failing_model_fails_the_waiting_turns_not_the_encoder() -> None:
    class Broken(SlowEmbedder):
        def encode(self, texts: list[str]) -> np.ndarray:
            raise RuntimeError("model crashed")

    encoder = SharedEncoder(Broken())

    async def scenario() -> None:
        try:
            await encoder.encode_async(["x"])
        except RuntimeError as exc:
            assert "crashed" in str(exc)
        else:
            raise AssertionError("no error")
        encoder.inner = SlowEmbedder()
        encoder.inner.release.set()  # type: ignore[attr-defined]
        assert (await encoder.encode_async(["y"])).shape == (1, 4)

    asyncio.run(scenario())
