"""One way to make a Redis client: quick to fail when Redis is away.

redis-py retries a failed command ten times with backoff by default (several seconds); every
user of Redis here has a fallback (live events reach local sockets, rate limits fail open, the
login throttle falls back to the database), so one quick retry is worth more than a slow request.
"""

from __future__ import annotations

from typing import Any

#: Seconds to open a connection to Redis before giving up on it for this command.
CONNECT_TIMEOUT_SECONDS = 2.0


def redis_client(url: str) -> Any:
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff

    return aioredis.from_url(
        url,
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        retry=Retry(ExponentialBackoff(cap=0.1, base=0.02), retries=1),
    )
