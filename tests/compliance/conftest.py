"""Write a workspace policy file for the shared test server, and remove it afterwards."""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support import LiveServer

EXAMPLES = Path(__file__).parents[2] / "src" / "hybridcx" / "pipeline" / "examples"
_tick = itertools.count(1)


@pytest.fixture
def workspace_policy(server: LiveServer) -> Iterator[Callable[[str], None]]:
    path = server.settings.policy_dir / "default.yaml"

    def apply(text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        # A distinct mtime each time, so the server's policy cache always sees the change.
        stamp = time.time() + next(_tick)
        os.utime(path, (stamp, stamp))

    yield apply
    path.unlink(missing_ok=True)
