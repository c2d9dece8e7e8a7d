"""Per-account throttle of staff sign-ins: password guessing is slowed down whatever the
client address.

An account (the email as typed, whether or not such an account exists) may have at most
``max_failures`` failed sign-ins within ``window_seconds``. Each attempt is recorded *before*
the password is checked and forgotten when it succeeds, so parallel guesses cannot slip past
the count. Once the window holds ``max_failures`` failures, every attempt (the right password
too, or the lock would tell a guess was right) is refused with 429 and ``Retry-After``: the
time until the oldest of them leaves the window. So at most ``max_failures`` guesses per
window reach the password check.

Attempts live in the database (table ``login_failures``), or in Redis when one is configured
(one sorted set per account, updated by a Lua script), so every server process shares them.
If Redis cannot be reached the database is used. The clock is injected (``clock``), so tests
move time instead of waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hybridcx.kit.db import transaction
from hybridcx.kit.errors import AppError
from hybridcx.kit.ids import new_id, utcnow
from hybridcx.models import LoginFailure

log = structlog.get_logger(__name__)

Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class Attempt:
    """The verdict on one sign-in attempt. ``failures`` counts this one: if its password is
    wrong, the account has that many failures in the window."""

    allowed: bool
    failures: int
    retry_after: float = 0.0
    ref: str | None = None  # the database row of this attempt


class LoginThrottled(AppError):
    status_code = 429
    code = "login_throttled"

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        seconds = max(1, int(-(-retry_after // 1)))
        super().__init__(
            f"Too many failed sign-ins for this account; try again in {seconds} seconds."
        )


LOGIN_ATTEMPT_LUA = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local n = redis.call('ZCARD', key)
if n >= limit then
  local oldest = redis.call('ZRANGE', key, n - limit, n - limit, 'WITHSCORES')
  return {0, tonumber(oldest[2]) + window - now, n}
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('PEXPIRE', key, window)
return {1, 0, n + 1}
"""


class LoginThrottle:
    def __init__(
        self,
        *,
        max_failures: int,
        window_seconds: float,
        redis_url: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        prefix: str = "hybridcx:login:",
    ) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self.clock = clock
        self._prefix = prefix
        self._redis: Any = None
        self._script: Any = None
        if redis_url:
            from hybridcx.kit.redis import redis_client

            self._redis = redis_client(redis_url)
            self._script = self._redis.register_script(LOGIN_ATTEMPT_LUA)

    async def begin(self, sessions: Sessions, account: str) -> Attempt:
        """Record an attempt on ``account`` (a keyed hash of the email), or refuse it."""
        now = self.clock()
        if self._redis is not None:
            try:
                return await self._begin_redis(account, now)
            except Exception as exc:  # Redis down: the database still throttles
                log.warning("auth.throttle_redis_failed", error=str(exc))
        return await self._begin_db(sessions, account, now)

    async def succeeded(self, sessions: Sessions, account: str) -> None:
        """The password was right: the account's failures are forgotten."""
        if self._redis is not None:
            try:
                await self._redis.delete(self._prefix + account)
            except Exception as exc:
                log.warning("auth.throttle_redis_failed", error=str(exc))
        async with transaction(sessions) as session:
            await session.execute(delete(LoginFailure).where(LoginFailure.account == account))

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()

    # ---- stores ------------------------------------------------------------------------

    async def _begin_redis(self, account: str, now: datetime) -> Attempt:
        now_ms = int(now.timestamp() * 1000)
        allowed, wait_ms, count = await self._script(
            keys=[self._prefix + account],
            args=[now_ms, max(1, int(self.window_seconds * 1000)), self.max_failures, new_id()],
        )
        return Attempt(bool(allowed), int(count), max(0.0, float(wait_ms) / 1000))

    async def _begin_db(self, sessions: Sessions, account: str, now: datetime) -> Attempt:
        since = now - timedelta(seconds=self.window_seconds)
        ref = new_id()
        # Committed before counting: of several attempts racing, each counts all those
        # committed before it, so no more than max_failures get through.
        async with transaction(sessions) as session:
            await session.execute(delete(LoginFailure).where(LoginFailure.at <= since))
            session.add(LoginFailure(id=ref, account=account, at=now))
        async with sessions() as session:
            rows = (
                await session.execute(
                    select(LoginFailure.id, LoginFailure.at)
                    .where(LoginFailure.account == account, LoginFailure.at > since)
                    .order_by(LoginFailure.at, LoginFailure.id)
                )
            ).all()
        others = [at for rid, at in rows if rid != ref]
        if len(others) < self.max_failures:
            return Attempt(True, len(others) + 1, ref=ref)
        async with transaction(sessions) as session:
            await session.execute(delete(LoginFailure).where(LoginFailure.id == ref))
        # Allowed again when enough of the failures have left the window.
        oldest = others[len(others) - self.max_failures]
        wait = (oldest - since).total_seconds()
        return Attempt(False, len(others), max(0.0, wait))
