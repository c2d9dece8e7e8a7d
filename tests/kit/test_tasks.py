"""A background loop that logs its failures still stops when it is cancelled (shutdown)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from hybridcx.kit.db import create_engine, session_factory
from hybridcx.kit.tasks import reraise_if_cancelled

# Long enough to be cancelled in the middle of it (about a second on SQLite).
SLOW = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) "
    "SELECT count(*) FROM c"
)


async def _loop(sessions: object, failures: list[str], *, reraise: bool) -> None:
    """The shape of the server's background loops (webhooks, rollups, watchers)."""
    while True:
        try:
            async with sessions() as session:  # type: ignore[operator]
                await session.execute(text(SLOW))
        except Exception as exc:
            if reraise:
                reraise_if_cancelled(exc)
            failures.append(type(exc).__name__)
            return  # the cancel was swallowed: the real loops would go on forever
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("reraise", [True, False])
def test_a_cancelled_statement_ends_the_loop(tmp_path: Path, reraise: bool) -> None:
    async def scenario() -> tuple[str, list[str]]:
        # aiosqlite: the statement runs in its thread, so the loop can cancel the wait for it.
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", sqlite_inline=False)
        failures: list[str] = []
        task = asyncio.create_task(_loop(session_factory(engine), failures, reraise=reraise))
        await asyncio.sleep(0.3)  # inside the statement
        task.cancel()
        try:
            await asyncio.wait_for(task, 30)
            ended = "returned"
        except asyncio.CancelledError:
            ended = "cancelled"
        await engine.dispose()
        return ended, failures

    ended, failures = asyncio.run(scenario())
    if reraise:
        assert ended == "cancelled" and failures == []
    else:
        # What the fix is for: SQLAlchemy turns the cancellation into an ordinary error while
        # it cleans up the session, and a loop that only logs it never ends.
        assert ended == "returned" and failures[0] == "PendingRollbackError"
