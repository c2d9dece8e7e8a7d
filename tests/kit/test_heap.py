"""kit.heap: a server process settles its garbage collector once after start-up.

Each case runs in a fresh interpreter: freezing the test process's own heap would change how
every later test collects garbage."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import gc, json, sys
from hybridcx.kit.heap import YOUNG_THRESHOLD, settle_after_startup
before = gc.get_threshold()
junk = [[i] for i in range(1000)]  # alive at start-up: frozen
first = settle_after_startup(sys.argv[1] == "on")
second = settle_after_startup(sys.argv[1] == "on")
cycle = []
cycle.append(cycle)
del cycle
print(json.dumps({"before": before, "after": gc.get_threshold(), "first": first,
                  "second": second, "frozen": gc.get_freeze_count(),
                  "young": YOUNG_THRESHOLD, "collected": gc.collect()}))
"""


def _probe(mode: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(out.stdout)


def test_settling_freezes_what_is_alive_once_and_raises_the_young_threshold() -> None:
    result = _probe("on")
    assert result["first"] >= 1000  # at least the list built before settling
    assert result["second"] == 0  # once per process
    assert result["frozen"] == result["first"]
    assert result["after"][0] == result["young"]
    assert result["after"][1:] == result["before"][1:]
    assert result["collected"] >= 1  # garbage made after settling is still collected


def test_disabled_leaves_the_collector_alone() -> None:
    result = _probe("off")
    assert result["first"] == 0
    assert result["frozen"] == 0
    assert result["after"] == result["before"]
