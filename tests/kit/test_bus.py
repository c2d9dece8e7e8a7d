"""The live-event bus on a real Redis: a flush's publishes travel in one round trip, in order,
and a process decodes only what one of its own sockets awaits."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hybridcx.kit.bus import RedisBus, batched
from hybridcx.kit.events import Listeners, MessageCreated
from hybridcx.kit.outbox import Outbox
from tests.support import IN_CI, REDIS_URL


def _redis_url() -> str:
    if REDIS_URL:
        return REDIS_URL
    if IN_CI:
        pytest.fail("CI=true but HYBRIDCX_TEST_REDIS_URL is not set")
    pytest.skip("bus tests need HYBRIDCX_TEST_REDIS_URL (CI sets it; see DEVELOPERS.md)")


class _Counting:
    """Counts the commands the Redis client sends (a pipeline is one round trip)."""

    def __init__(self, bus: RedisBus) -> None:
        self.round_trips = 0
        client = bus.redis
        original_publish, original_pipeline = client.publish, client.pipeline

        async def publish(*args: Any, **kwargs: Any) -> Any:
            self.round_trips += 1
            return await original_publish(*args, **kwargs)

        def pipeline(*args: Any, **kwargs: Any) -> Any:
            pipe = original_pipeline(*args, **kwargs)
            original_execute = pipe.execute

            async def execute(*a: Any, **k: Any) -> Any:
                self.round_trips += 1
                return await original_execute(*a, **k)

            pipe.execute = execute
            return pipe

        client.publish, client.pipeline = publish, pipeline


async def _two_buses() -> tuple[RedisBus, RedisBus]:
    url = _redis_url()
    sender, receiver = RedisBus(url), RedisBus(url)
    await sender.start()
    await receiver.start()
    return sender, receiver


async def _drain(sub: Any, n: int) -> list[Any]:
    return [await asyncio.wait_for(sub.get(), timeout=5) for _ in range(n)]


def test_a_batch_is_one_round_trip_in_order_and_sent_when_it_ends() -> None:
    async def scenario() -> None:
        sender, receiver = await _two_buses()
        try:
            sub = receiver.hub.subscribe(["conversation:c1", "staff:w1"])
            counting = _Counting(sender)
            async with batched():
                for n in range(5):
                    await sender.publish("conversation:c1", {"n": n})
                    await sender.publish("staff:w1", {"n": n})
                await asyncio.sleep(0.2)
                assert sub.queue.empty()  # held back until the block ends
                assert counting.round_trips == 0
            got = await _drain(sub, 10)
            assert [p["n"] for p in got] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
            assert counting.round_trips == 1
            # outside a batch, each publish goes at once
            await sender.publish("staff:w1", {"n": 9})
            assert (await _drain(sub, 1))[0]["n"] == 9
            assert counting.round_trips == 2
        finally:
            await sender.stop()
            await receiver.stop()

    asyncio.run(scenario())


def test_an_outbox_flush_sends_its_live_events_in_one_round_trip() -> None:
    async def scenario() -> None:
        sender, receiver = await _two_buses()
        try:
            sub = receiver.hub.subscribe(["staff:w1"])
            counting = _Counting(sender)
            listeners = Listeners()

            async def publish_live(rt: Any, event: MessageCreated) -> None:
                for channel in event.channels():
                    await sender.publish(channel, event.payload())

            listeners.on(MessageCreated, publish_live)

            class Rt:
                events = listeners

            outbox = Outbox()
            for n in range(3):
                outbox.emit(
                    MessageCreated(workspace_id="w1", conversation_id="c1", message={"id": f"m{n}"})
                )
            await outbox.flush(Rt())
            got = await _drain(sub, 3)
            assert [p["message"]["id"] for p in got] == ["m0", "m1", "m2"]
            # three events, each to the customer's channel and the desks: one round trip
            assert counting.round_trips == 1
        finally:
            await sender.stop()
            await receiver.stop()

    asyncio.run(scenario())


def test_a_process_decodes_only_channels_its_sockets_hold() -> None:
    async def scenario() -> None:
        sender, receiver = await _two_buses()
        try:
            sub = receiver.hub.subscribe(["staff:w2"])
            decoded: list[str] = []
            deliver = receiver.hub.deliver

            def spy(channel: str, payload: Any) -> None:
                decoded.append(channel)
                deliver(channel, payload)

            receiver.hub.deliver = spy  # type: ignore[method-assign]
            await sender.publish_many([("staff:other", {"n": 1}), ("staff:w2", {"n": 2})])
            assert (await _drain(sub, 1))[0]["n"] == 2
            assert decoded == ["staff:w2"]
            assert not receiver.hub.listening("staff:other")
        finally:
            await sender.stop()
            await receiver.stop()

    asyncio.run(scenario())


def test_redis_away_a_batch_still_reaches_this_process_sockets() -> None:
    async def scenario() -> None:
        bus = RedisBus("redis://127.0.0.1:9/0")  # nothing listens on the discard port
        bus.hub.subscribe(["staff:w3"])
        sub = bus.hub.subscribe(["staff:w3"])
        async with batched():
            await bus.publish("staff:w3", {"n": 1})
            await bus.publish("staff:w3", {"n": 2})
        assert [p["n"] for p in await _drain(sub, 2)] == [1, 2]
        assert bus.degraded
        await bus.redis.aclose()

    asyncio.run(scenario())


def test_after_an_interruption_sockets_resume_from_the_last_event_before_it() -> None:
    """While Redis is away a process delivers only its own events: their later ids must not
    hide what the other processes published meanwhile."""
    from hybridcx.kit.bus import RESYNC, LocalHub

    hub = LocalHub()
    sub = hub.subscribe(["staff:w"])
    hub.deliver("staff:w", {"type": "queue.updated", "event_id": "7-1"})
    hub.deliver("staff:w", {"type": "queue.updated", "event_id": "5-0"})  # late, smaller id
    hub.interrupted()
    hub.deliver("staff:w", {"type": "queue.updated", "event_id": "12-0"})  # this process's own
    hub.interrupted()  # noticed again: the first interruption counts
    hub.resync_all()
    seen = [sub.queue.get_nowait() for _ in range(4)]
    assert seen[-1] == {**RESYNC, "since": "7-1"}
    hub.resync_all()  # a later resync without an interruption: nothing to resume from
    assert sub.queue.get_nowait() == RESYNC
