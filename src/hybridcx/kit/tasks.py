"""Background loops that survive their failures but not a cancellation."""

from __future__ import annotations

import asyncio


def reraise_if_cancelled(exc: BaseException) -> None:
    """Call in a loop's ``except Exception``: re-raise when this task is being cancelled.

    A cancellation can arrive as another exception: SQLAlchemy, cleaning up a session whose
    statement was cancelled, raises "Can't reconnect until invalid transaction is rolled back"
    in place of the CancelledError. A loop that logged that and went on would swallow the
    cancel, and whoever awaits the task at shutdown would wait forever."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError() from exc
