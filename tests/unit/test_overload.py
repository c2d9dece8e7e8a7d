"""The in-flight gate on its own: slots, the bounded wait queue, hand-over order, shedding."""

from __future__ import annotations

import asyncio

import pytest

from hybridcx.kit.overload import GATED_PATHS, InflightGate


def run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


def test_up_to_the_limit_pass_at_once_and_release_frees_the_slot() -> None:
    async def scenario() -> None:
        gate = InflightGate(limit=2, queue_size=0, wait_seconds=0)
        assert await gate.acquire() and await gate.acquire()
        assert gate.in_flight == 2
        assert not await gate.acquire()  # no queue: shed at once
        assert gate.turned_away == 1
        gate.release()
        assert gate.in_flight == 1
        assert await gate.acquire()

    run(scenario())


def test_waiters_get_slots_in_arrival_order() -> None:
    async def scenario() -> None:
        gate = InflightGate(limit=1, queue_size=3, wait_seconds=60)
        assert await gate.acquire()
        order: list[str] = []

        async def waiter(name: str) -> None:
            assert await gate.acquire()
            order.append(name)

        tasks = []
        for name in ("a", "b", "c"):
            tasks.append(asyncio.create_task(waiter(name)))
            await asyncio.sleep(0)  # let it queue before the next one arrives
        assert gate.waiting == 3
        for _ in range(3):
            gate.release()  # the slot passes to the longest waiter; in_flight stays 1
            await asyncio.sleep(0)
            assert gate.in_flight == 1
        await asyncio.gather(*tasks)
        assert order == ["a", "b", "c"]
        gate.release()
        assert gate.in_flight == 0 and gate.waiting == 0

    run(scenario())


def test_a_full_queue_sheds_at_once() -> None:
    async def scenario() -> None:
        gate = InflightGate(limit=1, queue_size=1, wait_seconds=60)
        assert await gate.acquire()
        queued = asyncio.create_task(gate.acquire())
        await asyncio.sleep(0)
        assert not await gate.acquire()  # the one queue place is taken
        assert gate.turned_away == 1
        gate.release()
        assert await queued
        gate.release()

    run(scenario())


def test_a_wait_that_runs_out_is_shed_and_leaves_the_queue() -> None:
    async def scenario() -> None:
        gate = InflightGate(limit=1, queue_size=5, wait_seconds=0.01)
        assert await gate.acquire()  # held throughout: nobody frees it
        assert not await gate.acquire()
        assert gate.waiting == 0 and gate.turned_away == 1
        gate.release()
        assert gate.in_flight == 0

    run(scenario())


def test_a_cancelled_waiter_gives_its_place_up() -> None:
    async def scenario() -> None:
        gate = InflightGate(limit=1, queue_size=5, wait_seconds=60)
        assert await gate.acquire()
        first = asyncio.create_task(gate.acquire())
        second = asyncio.create_task(gate.acquire())
        await asyncio.sleep(0)
        first.cancel()
        await asyncio.sleep(0)
        gate.release()  # goes to the second waiter, not to the cancelled one
        assert await second
        assert gate.in_flight == 1 and gate.waiting == 0

    run(scenario())


def test_retry_after_is_when_the_waiting_requests_are_likely_through() -> None:
    async def scenario() -> None:
        gate = InflightGate(limit=4, queue_size=100, wait_seconds=60)
        for _ in range(4):
            assert await gate.acquire()
        assert gate.retry_after() == 1  # nothing measured yet
        gate.record_hold(2.0)
        assert gate.hold_seconds == 2.0
        waiters = [asyncio.create_task(gate.acquire()) for _ in range(9)]
        await asyncio.sleep(0)
        assert gate.retry_after() == 5  # (9 waiting + this one) x 2 s / 4 slots
        gate.record_hold(1.0)  # smoothed: 2.0 + 0.2 x (1.0 - 2.0)
        assert gate.hold_seconds == pytest.approx(1.8)
        gate.record_hold(1000.0)
        assert gate.retry_after() == 30  # never longer than that
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)
        assert gate.waiting == 0

    run(scenario())


def test_limit_zero_is_off() -> None:
    assert not InflightGate(limit=0, queue_size=0, wait_seconds=0).enabled


def test_only_conversation_starts_and_customer_messages_are_gated() -> None:
    assert GATED_PATHS.match("/api/v1/conversations")
    assert GATED_PATHS.match("/api/v1/conversations/c_123/messages")
    assert not GATED_PATHS.match("/api/v1/conversations/c_123/replies")
    assert not GATED_PATHS.match("/api/v1/conversations/c_123/accept")
    assert not GATED_PATHS.match("/api/v1/auth/token")
