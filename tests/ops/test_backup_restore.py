"""Backup and restore as docs/operations.md describes it: `pg_dump -Fc` of a database with
conversations, `pg_restore` into an empty database, and a server on the restored database serves
the same conversations (customers, staff, encrypted text) with the same keys."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from hybridcx.config import Settings
from hybridcx.kit.db import create_engine
from tests.support import IN_CI, POSTGRES_URL, Api, LiveServer

SOURCE_DB = "ops_backup_source"
RESTORED_DB = "ops_backup_restored"


def _libpq(url: str, database: str) -> str:
    parts = urlsplit(url.replace("+asyncpg", ""))
    return parts._replace(path=f"/{database}").geturl()


async def _recreate(url: str, *names: str) -> None:
    engine = create_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for name in names:
                await conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                await conn.execute(text(f"CREATE DATABASE {name}"))
    finally:
        await engine.dispose()


async def _drop(url: str, *names: str) -> None:
    engine = create_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for name in names:
                await conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    finally:
        await engine.dispose()


def _server(database_url: str, data_dir: Path, nlu_model_dir: Path) -> LiveServer:
    return LiveServer(
        Settings(
            data_dir=data_dir,  # keys.json: a restore needs the same keys as the backup
            database_url=database_url,
            nlu_model_dir=nlu_model_dir,
            experiments_check_seconds=0,
            analytics_rollup_interval_seconds=0,
            _env_file=None,
        )
    ).start()


def _snapshot(api: Api, convs: list[dict[str, Any]], staff_token: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for conv in convs:
        r = api.http.get(
            f"/api/v1/conversations/{conv['id']}",
            headers={"Authorization": f"Bearer {conv['customer_token']}"},
        )
        assert r.status_code == 200, r.text
        seen[f"customer:{conv['id']}"] = r.json()
        r = api.staff(staff_token, "GET", f"/api/v1/conversations/{conv['id']}")
        assert r.status_code == 200, r.text
        seen[f"staff:{conv['id']}"] = r.json()
    listing = api.staff(staff_token, "GET", "/api/v1/conversations").json()["items"]
    seen["list"] = sorted(item["id"] for item in listing)
    return seen


@pytest.mark.timeout(400)  # two servers, a dump and a restore on a shared 2-core machine
def test_a_restored_backup_serves_the_same_conversations(
    tmp_path: Path, nlu_model_dir: Path
) -> None:
    if not POSTGRES_URL:
        if IN_CI:
            pytest.fail("CI=true but HYBRIDCX_TEST_POSTGRES_URL is not set")
        pytest.skip("backup and restore run on PostgreSQL: set HYBRIDCX_TEST_POSTGRES_URL")
    tools = {name: shutil.which(name) for name in ("pg_dump", "pg_restore")}
    if not all(tools.values()):
        if IN_CI:
            pytest.fail(f"CI=true but PostgreSQL client tools are missing: {tools}")
        pytest.skip(f"needs pg_dump and pg_restore on the PATH: {tools}")
    base = urlsplit(POSTGRES_URL)
    source_url = base._replace(path=f"/{SOURCE_DB}").geturl()
    restored_url = base._replace(path=f"/{RESTORED_DB}").geturl()
    asyncio.run(_recreate(POSTGRES_URL, SOURCE_DB, RESTORED_DB))
    data_dir = tmp_path / "data"
    try:
        source = _server(source_url, data_dir, nlu_model_dir)
        try:
            source.reset()  # the demo company
            api = Api(source.url, source.ws_url)
            first = api.start("alex@example.com", "Alex")
            assert api.say(first, "What are your opening hours?").status_code == 200
            second = api.start("priya.patel@example.com", "Priya")
            assert api.say(second, "I want to speak to a person").status_code == 200
            agent = api.login("agent@example.com", "demo-agent")
            accept = api.staff(agent, "POST", f"/api/v1/conversations/{second['id']}/accept")
            assert accept.status_code == 200, accept.text
            reply = api.staff(
                agent,
                "POST",
                f"/api/v1/conversations/{second['id']}/replies",
                json={"text": "Hi Priya, I'm looking at order 1001 now."},
            )
            assert reply.status_code == 201 or reply.status_code == 200, reply.text
            before = _snapshot(api, [first, second], agent)
            api.close()
        finally:
            source.stop()

        dump = tmp_path / "hybridcx.dump"
        subprocess.run(
            [
                tools["pg_dump"],
                "--format=custom",
                "--file",
                str(dump),
                _libpq(POSTGRES_URL, SOURCE_DB),
            ],
            check=True,
            timeout=120,
        )
        subprocess.run(
            [
                tools["pg_restore"],
                "--no-owner",
                "--exit-on-error",
                "--dbname",
                _libpq(POSTGRES_URL, RESTORED_DB),
                str(dump),
            ],
            check=True,
        )

        restored = _server(restored_url, data_dir, nlu_model_dir)
        try:
            api = Api(restored.url, restored.ws_url)
            assert api.http.get("/readyz").status_code == 200  # migrations current after restore
            after = _snapshot(api, [first, second], agent)  # the old staff token still works
            assert after == before
            assert "order 1001" in str(after[f"customer:{second['id']}"])  # decrypted text
            # The restored conversations go on: the customer writes again, the agent sees it.
            assert api.say(second, "Thanks, take your time").status_code == 200
            api.close()
        finally:
            restored.stop()
    finally:
        asyncio.run(_drop(POSTGRES_URL, SOURCE_DB, RESTORED_DB))
