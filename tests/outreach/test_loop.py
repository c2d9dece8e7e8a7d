"""The outreach schedule survives a failed run and stops when cancelled."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hybridcx.outreach import loop


def test_the_loop_survives_a_failure_and_stops_on_cancel(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    async def main() -> None:
        second = asyncio.Event()

        async def fake_run_all(rt: Any) -> list[dict[str, Any]]:
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("the database went away")
            second.set()
            return []

        monkeypatch.setattr(loop, "run_all", fake_run_all)
        task = asyncio.create_task(loop.outreach_loop(object(), 0.001))  # type: ignore[arg-type]
        await asyncio.wait_for(second.wait(), timeout=30)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert len(calls) >= 2
