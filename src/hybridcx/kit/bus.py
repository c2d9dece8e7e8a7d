"""Live-event bus: in-process by default, Redis pub/sub when several processes share the work.

Publishers call ``publish(channel, payload)`` after their transaction commits. Each process keeps
its own local subscribers (WebSockets); with Redis every process hears every publish and hands it
to its local subscribers, so a message posted through process A reaches a socket held by B.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from contextvars import ContextVar
from typing import Any, Protocol

import structlog

log = structlog.get_logger(__name__)

Payload = dict[str, Any]

#: Put in every local subscription when live events may have been missed (Redis was away):
#: the socket closes with 1012 and the client reconnects, catching up from the database. With
#: ``since`` (the last event id delivered before the interruption) the socket first tells the
#: client to resume from there.
RESYNC: Payload = {"type": "_resync"}


def customer_channel(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


def staff_channel(workspace_id: str) -> str:
    return f"staff:{workspace_id}"


class Subscription:
    def __init__(self, hub: LocalHub, channels: list[str]) -> None:
        self.hub = hub
        self.channels = channels
        self.queue: asyncio.Queue[Payload] = asyncio.Queue(maxsize=1000)

    async def get(self) -> Payload:
        return await self.queue.get()

    def close(self) -> None:
        self.hub.unsubscribe(self)


class LocalHub:
    """The subscribers held by this process."""

    def __init__(self) -> None:
        self._subs: dict[str, set[Subscription]] = defaultdict(set)
        # The highest event id (ops.outbox) handed to the subscribers, and the one they had
        # when live events were interrupted: after the outage, sockets resume from there.
        self.last_event: tuple[int, int] | None = None
        self.resume_from: str | None = None

    def subscribe(self, channels: list[str]) -> Subscription:
        sub = Subscription(self, channels)
        for ch in channels:
            self._subs[ch].add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        for ch in sub.channels:
            subs = self._subs.get(ch)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[ch]

    def interrupted(self) -> None:
        """Live events from other processes stop arriving: remember the last one delivered
        (the events delivered meanwhile come from this process only, so a later id says
        nothing about what was missed)."""
        if self.resume_from is None and self.last_event is not None:
            self.resume_from = "-".join(map(str, self.last_event))

    def resync_all(self) -> None:
        """Tell every local subscriber that events may have been missed (see ``RESYNC``),
        and the event id to resume from (``since``), when one is known."""
        notice = {**RESYNC, "since": self.resume_from} if self.resume_from else RESYNC
        self.resume_from = None
        for sub in {s for subs in self._subs.values() for s in subs}:
            with contextlib.suppress(asyncio.QueueFull):
                sub.queue.put_nowait(notice)

    def listening(self, channel: str) -> bool:
        return channel in self._subs

    def deliver(self, channel: str, payload: Payload) -> None:
        event_id = payload.get("event_id")
        if isinstance(event_id, str):
            row, _, index = event_id.partition("-")
            if row.isdigit() and index.isdigit():
                key = (int(row), int(index))
                if self.last_event is None or key > self.last_event:
                    self.last_event = key
        for sub in list(self._subs.get(channel, ())):
            try:
                sub.queue.put_nowait(payload)
            except asyncio.QueueFull:
                log.warning("realtime.subscriber_full", channel=channel)


#: Publishes held back by ``batched()`` in this task: (bus, channel, payload), in order.
_held: ContextVar[list[tuple[RedisBus, str, Payload]] | None] = ContextVar("_held", default=None)


@contextlib.asynccontextmanager
async def batched() -> AsyncIterator[None]:
    """Send the Redis publishes made inside the block in one round trip, in order, when it ends
    (a turn's events: the customer's message, the reply, the conversation's state). Nested
    blocks join the outer one. The in-process bus delivers at once as always."""
    if _held.get() is not None:
        yield
        return
    held: list[tuple[RedisBus, str, Payload]] = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
        by_bus: dict[int, tuple[RedisBus, list[tuple[str, Payload]]]] = {}
        for bus, channel, payload in held:
            by_bus.setdefault(id(bus), (bus, []))[1].append((channel, payload))
        for bus, items in by_bus.values():
            await bus.publish_many(items)


class EventBus(Protocol):
    hub: LocalHub

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, channel: str, payload: Payload) -> None: ...


class MemoryBus:
    """Single-process bus: publishing delivers straight to local subscribers."""

    def __init__(self) -> None:
        self.hub = LocalHub()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, channel: str, payload: Payload) -> None:
        self.hub.deliver(channel, payload)


class RedisBus:
    """Redis pub/sub: one pattern subscription per process feeds the local hub.

    Redis away (degraded mode): requests go on; a publish reaches this process's own sockets
    only, and the log says ``realtime.redis_unavailable``. When the subscription is back, every
    local socket is told to resync (``RESYNC``): it reconnects and catches up from the database,
    as far as the client can (a customer socket replays missed messages with ``after=``)."""

    PREFIX = "hybridcx:"

    def __init__(self, url: str) -> None:
        from hybridcx.kit.redis import redis_client

        self.hub = LocalHub()
        self.redis = redis_client(url)
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self.degraded = False  # Redis is away: events reach this process's sockets only

    async def start(self) -> None:
        try:
            await self.redis.ping()
        except Exception as exc:  # serve anyway, degraded; the listener keeps trying
            self._lost(exc)
        self._task = asyncio.create_task(self._listen(), name="hybridcx-redis-bus")
        if not self.degraded:
            await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self.redis.aclose()

    async def publish(self, channel: str, payload: Payload) -> None:
        held = _held.get()
        if held is not None:
            held.append((self, channel, payload))
            return
        await self.publish_many([(channel, payload)])

    async def publish_many(self, items: list[tuple[str, Payload]]) -> None:
        """Publish in order, in one round trip (a pipeline without MULTI)."""
        if not items:
            return
        try:
            if len(items) == 1:
                channel, payload = items[0]
                await self.redis.publish(self.PREFIX + channel, json.dumps(payload, default=str))
                return
            pipe = self.redis.pipeline(transaction=False)
            encoded: dict[int, str] = {}  # one event goes to several channels: encode it once
            for channel, payload in items:
                data = encoded.get(id(payload))
                if data is None:
                    data = encoded[id(payload)] = json.dumps(payload, default=str)
                pipe.publish(self.PREFIX + channel, data)
            await pipe.execute()
        except Exception as exc:
            self._lost(exc)
            for channel, payload in items:
                self.hub.deliver(channel, payload)  # this process's own sockets still hear it

    def _lost(self, exc: BaseException) -> None:
        if not self.degraded:
            log.error("realtime.redis_unavailable", degraded=True, error=str(exc))
            self.hub.interrupted()
        self.degraded = True

    async def _listen(self) -> None:
        while True:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.psubscribe(self.PREFIX + "*")
                self._ready.set()
                if self.degraded:  # back after an outage: sockets may have missed events
                    self.degraded = False
                    log.warning("realtime.redis_back", degraded=False)
                    self.hub.resync_all()
                async for msg in pubsub.listen():
                    if msg.get("type") != "pmessage":
                        continue
                    channel = msg["channel"].decode()[len(self.PREFIX) :]
                    if self.hub.listening(channel):  # decode only what a local socket awaits
                        self.hub.deliver(channel, json.loads(msg["data"]))
            except asyncio.CancelledError:
                await pubsub.aclose()
                raise
            except Exception as exc:  # a Redis restart must not kill live updates for good
                self._lost(exc)
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                await asyncio.sleep(1)


def create_bus(redis_url: str | None) -> EventBus:
    return RedisBus(redis_url) if redis_url else MemoryBus()
