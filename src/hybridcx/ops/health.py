"""Readiness: can this process serve real traffic right now?

Liveness (/healthz) only says the process runs; a load balancer restarts on that. Readiness
(/readyz) says whether to send it requests: the database answers, the intent model is loaded
and the schema is at the revision this code expects (503 naming what failed). Redis away is
``degraded`` with 200: turns are still answered (see ``DEGRADABLE``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "detail": self.detail}


@lru_cache(maxsize=1)
def _script() -> tuple[frozenset[str], frozenset[str]]:
    """(the migration heads shipped with this code, every revision it knows)."""
    from alembic.script import ScriptDirectory

    from hybridcx.kit.db import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    return frozenset(script.get_heads()), frozenset(r.revision for r in script.walk_revisions())


def expected_heads() -> frozenset[str]:
    return _script()[0]


async def check_database(engine: AsyncEngine, wait_seconds: float) -> tuple[Check, Check]:
    """The database answers, and its schema is at this code's migration heads."""
    try:
        async with asyncio.timeout(wait_seconds), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            try:
                rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
            except Exception:  # no table yet: never migrated
                rows = []
    except Exception as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else _short(exc)
        return (
            Check("database", False, f"unreachable: {reason}"),
            Check("migrations", False, "unknown: the database is unreachable"),
        )
    return Check("database", True, engine.dialect.name), _migrations(
        frozenset(str(r[0]) for r in rows)
    )


def _migrations(current: frozenset[str]) -> Check:
    """Ready at this code's heads, or ahead of them (a newer release migrated during a rolling
    upgrade: migrations keep what the previous release reads); not ready when behind."""
    expected, known = _script()
    at = ", ".join(sorted(current)) or "empty"
    if current == expected:
        return Check("migrations", True, f"at {at}")
    if current - known:
        return Check("migrations", True, f"database at {at}, ahead of this code (newer release)")
    return Check(
        "migrations",
        False,
        f"database at {at}, code expects {', '.join(sorted(expected))}: run `hybridcx db upgrade`",
    )


async def check_redis(url: str | None, wait_seconds: float) -> Check | None:
    if not url:
        return None
    import redis.asyncio as aioredis

    client = aioredis.from_url(
        url, socket_connect_timeout=wait_seconds, socket_timeout=wait_seconds
    )
    try:
        async with asyncio.timeout(wait_seconds):
            await client.ping()
        return Check("redis", True, "ping")
    except Exception as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else _short(exc)
        return Check("redis", False, f"unreachable: {reason}")
    finally:
        await client.aclose()


def check_model(*, nlu_enabled: bool, live_model: Any) -> Check:
    if not nlu_enabled:
        return Check("model", True, "disabled (HYBRIDCX_NLU_ENABLED=false): rules only")
    if live_model is None or getattr(live_model, "classifier", None) is None:
        return Check("model", False, "the intent model is not loaded")
    return Check("model", True, f"version {live_model.version}")


async def readiness(
    engine: AsyncEngine,
    *,
    redis_url: str | None,
    nlu_enabled: bool,
    live_model: Any,
    wait_seconds: float,
) -> tuple[bool, dict[str, Any]]:
    """(ready, body): the body names every check and what failed."""
    (db, migrations), redis = await asyncio.gather(
        check_database(engine, wait_seconds), check_redis(redis_url, wait_seconds)
    )
    checks = [db, migrations, check_model(nlu_enabled=nlu_enabled, live_model=live_model)]
    if redis is not None:
        checks.append(redis)
    ready = all(c.ok for c in checks if c.name not in DEGRADABLE)
    failing = [c.name for c in checks if not c.ok]
    body: dict[str, Any] = {
        "status": ("degraded" if failing else "ready") if ready else "unavailable",
        "failing": failing,
        "checks": {c.name: c.to_dict() for c in checks},
    }
    return ready, body


#: Parts the process serves without (degraded): Redis away, turns are still answered, live
#: events reach only this process's sockets. Taking every process out of the load balancer
#: for it would turn a degraded service into an outage.
DEGRADABLE = frozenset({"redis"})


def _short(exc: BaseException) -> str:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {message}"[:200] if message else type(exc).__name__
