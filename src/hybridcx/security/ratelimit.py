"""Sliding-window rate limits: in memory for one process, or in Redis for several.

A limit is "at most ``limit`` requests in any ``window`` seconds" per key (an IP, a token, a
customer). The window slides: each accepted request is remembered with its time, and a request
is refused while ``limit`` of them are younger than the window; ``Retry-After`` is when the
oldest one leaves it. In Redis each key is a sorted set updated by one Lua script, so concurrent
server processes cannot both take the last slot.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from hybridcx.kit.ids import new_id

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: float = 0.0


class RateLimiter(Protocol):
    async def hit(self, key: str, *, limit: int, window: float) -> Verdict: ...

    async def close(self) -> None: ...


class MemoryRateLimiter:
    def __init__(self, clock: Any = time.monotonic) -> None:
        self._hits: dict[str, deque[float]] = {}
        self._clock = clock

    async def hit(self, key: str, *, limit: int, window: float) -> Verdict:
        now = self._clock()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - window:
            hits.popleft()
        if len(hits) >= limit:
            return Verdict(False, max(0.0, hits[0] + window - now))
        hits.append(now)
        if len(self._hits) > 50_000:  # forget idle keys so memory stays bounded
            self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - window}
        return Verdict(True)

    async def close(self) -> None:
        return None


SLIDING_WINDOW_LUA = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return {0, tonumber(oldest[2]) + window - now}
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('PEXPIRE', key, window)
return {1, 0}
"""


class RedisRateLimiter:
    """Shared by every process on the same Redis. If Redis is unreachable the request is let
    through (and logged): a rate limit must not take the service down with it."""

    def __init__(self, url: str, *, prefix: str = "hybridcx:rl:") -> None:
        from hybridcx.kit.redis import redis_client

        self._redis = redis_client(url)
        self._script = self._redis.register_script(SLIDING_WINDOW_LUA)
        self._prefix = prefix

    async def hit(self, key: str, *, limit: int, window: float) -> Verdict:
        window_ms = max(1, int(window * 1000))
        try:
            allowed, wait_ms = await self._script(
                keys=[self._prefix + key],
                args=[int(time.time() * 1000), window_ms, limit, new_id()],
            )
        except Exception as exc:  # Redis down: fail open, loudly
            log.warning("ratelimit.redis_failed", error=str(exc))
            return Verdict(True)
        return Verdict(bool(allowed), max(0.0, float(wait_ms) / 1000))

    async def close(self) -> None:
        await self._redis.aclose()


def retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
