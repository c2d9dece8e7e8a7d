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


def test_the_loop_reads_events_on_its_own_tick_and_runs_no_schedule_when_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events: list[int] = []
    scheduled: list[int] = []

    async def main() -> None:
        third = asyncio.Event()

        async def fake_events(rt: Any) -> list[dict[str, Any]]:
            events.append(1)
            if len(events) == 1:
                raise RuntimeError("the database went away")
            if len(events) == 3:
                third.set()
            return []

        async def fake_run_all(rt: Any) -> list[dict[str, Any]]:
            scheduled.append(1)
            return []

        monkeypatch.setattr(loop, "process_events", fake_events)
        monkeypatch.setattr(loop, "run_all", fake_run_all)
        task = asyncio.create_task(loop.outreach_loop(object(), 0, 0.001))  # type: ignore[arg-type]
        await asyncio.wait_for(third.wait(), timeout=30)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert len(events) >= 3 and scheduled == []
