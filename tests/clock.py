"""The test session's clock: every test runs at a fixed date, so none depends on today's.

The whole test process travels (time-machine, ticking from there) to ``HYBRIDCX_TEST_NOW``
(ISO 8601; default ``DEFAULT_NOW``) before collection. The servers the tests start in-process
see the same clock: the demo seed, appointment slots, flows, analytics windows and tokens all
agree. `.ci/run` runs the date-sensitive tests again at month and year ends, DST changes and a
weekend. Subprocesses (``hybridcx serve`` in the two-process test, the CLI tests) inherit the
same offset through ``sitecustomize`` in ``tests/clock_site/`` on their ``PYTHONPATH``.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import time_machine

DEFAULT_NOW = "2026-12-08T10:30:00+00:00"  # a Tuesday morning, mid-month
ENV = "HYBRIDCX_TEST_NOW"
# A subprocess travels to real time + this many seconds (see tests/clock_site/sitecustomize.py).
OFFSET_ENV = "HYBRIDCX_TEST_CLOCK_OFFSET"
SITE_DIR = Path(__file__).parent / "clock_site"

_travel: time_machine.travel | None = None


def destination() -> datetime:
    value = os.environ.get(ENV) or DEFAULT_NOW
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def start() -> datetime:
    """Travel the whole process to the test date; children of this process follow."""
    global _travel
    when = destination()
    real = time.time()  # not travelling yet
    _travel = time_machine.travel(when, tick=True)
    _travel.start()
    os.environ[OFFSET_ENV] = repr(when.timestamp() - real)
    path = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = f"{SITE_DIR}{os.pathsep}{path}" if path else str(SITE_DIR)
    return when


def stop() -> None:
    global _travel
    if _travel is not None:
        _travel.stop()
        _travel = None
