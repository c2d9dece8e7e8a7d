"""`hybridcx search reindex`: the index is rebuilt from the stored text, for the
messages stored before it existed or after the blind-index key changed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import delete, func, select

from hybridcx.kit.db import transaction
from hybridcx.models import SearchToken
from hybridcx.search.index import reindex
from tests.support import Api, LiveServer


def _ids(api: Api, token: str, q: str) -> list[str]:
    r = api.staff(token, "GET", "/api/v1/conversations", params={"q": q})
    assert r.status_code == 200, r.text
    return [c["id"] for c in r.json()["items"]]


def test_reindex_rebuilds_a_lost_index_and_adds_nothing_twice(api: Api, server: LiveServer) -> None:
    sam = api.login("supervisor@example.com", "demo-supervisor")
    conv = api.start("rae@example.org", "Rae Lindqvist")
    assert api.say(conv, "the walrus figurine came chipped").status_code == 200

    async def count() -> int:
        async with server.runtime.sessions() as s:
            return int(
                (await s.execute(select(func.count()).select_from(SearchToken))).scalar_one()
            )

    async def wipe() -> None:
        async with transaction(server.runtime.sessions) as s:
            await s.execute(delete(SearchToken))

    before = server.call(count())
    server.call(wipe())  # as after a key change, or for messages older than the index
    assert _ids(api, sam, "walrus") == [] and _ids(api, sam, "lindqvist") == []
    totals = server.call(reindex(server.runtime.sessions))
    assert totals["messages"] >= 1 and totals["customers"] >= 1
    assert _ids(api, sam, "walrus figurine") == [conv["id"]]
    assert _ids(api, sam, "lindqvist") == [conv["id"]]
    assert server.call(count()) >= before
    again = server.call(count())
    server.call(reindex(server.runtime.sessions))
    assert server.call(count()) == again  # rebuilt, not added to


def test_the_reindex_command_runs_on_a_database(tmp_path: Path) -> None:
    env = {**os.environ, "HYBRIDCX_DATA_DIR": str(tmp_path / "data"), "HYBRIDCX_DATABASE_URL": ""}
    cli = [sys.executable, "-m", "hybridcx.cli"]
    seeded = subprocess.run([*cli, "seed"], env=env, capture_output=True, text=True, timeout=120)
    assert seeded.returncode == 0, seeded.stderr
    run = subprocess.run(
        [*cli, "search", "reindex", "--workspace", "default"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "Indexed" in run.stdout and "customer names" in run.stdout, run.stdout
    bad = subprocess.run(
        [*cli, "search", "reindex", "--workspace", "nope"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "no workspace" in bad.stderr
