"""The `hybridcx` command, run as a user runs it (a real subprocess)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.support import Api, LiveServer

HYBRIDCX = [sys.executable, "-m", "hybridcx.cli"]


def _run(
    args: list[str], *, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        HYBRIDCX + args,
        env={**os.environ, **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_db_upgrade_creates_the_schema_in_the_data_dir(tmp_path: Path) -> None:
    env = {"HYBRIDCX_DATA_DIR": str(tmp_path / "data"), "HYBRIDCX_DATABASE_URL": ""}
    result = _run(["db", "upgrade"], env=env)
    assert result.returncode == 0, result.stderr
    db = tmp_path / "data" / "hybridcx.db"
    tables = {
        r[0]
        for r in sqlite3.connect(db).execute("select name from sqlite_master where type='table'")
    }
    assert {
        "workspaces",
        "customers",
        "conversations",
        "messages",
        "conversation_events",
        "agents",
    } <= tables
    assert "demo_orders" in tables
    # Idempotent: a second upgrade is a no-op.
    assert _run(["db", "upgrade"], env=env).returncode == 0


def test_seed_is_idempotent(tmp_path: Path) -> None:
    env = {"HYBRIDCX_DATA_DIR": str(tmp_path), "HYBRIDCX_DATABASE_URL": ""}
    first = _run(["seed"], env=env)
    assert first.returncode == 0 and "seeded" in first.stdout
    second = _run(["seed"], env=env)
    assert "already present" in second.stdout
    con = sqlite3.connect(tmp_path / "hybridcx.db")
    assert con.execute("select count(*) from customers").fetchone()[0] >= 23
    assert con.execute("select count(*) from agents").fetchone()[0] >= 5
    order = con.execute(
        "select status, carrier, expected_delivery from demo_orders where number='1001'"
    ).fetchone()
    assert order[0] == "shipped" and order[1] and order[2]


def test_terminal_chat_talks_to_a_running_server(api: Api, server: LiveServer) -> None:
    result = _run(
        ["chat", "--url", server.url, "--email", "alex@example.com"],
        env={},
        stdin="hello there\nagent\n/quit\n",
    )
    assert result.returncode == 0, result.stderr
    assert "You're chatting with our AI assistant" in result.stdout
    assert "connecting you with a person" in result.stdout
    token = api.login("agent@example.com", "demo-agent")
    [item] = api.staff(token, "GET", "/api/v1/queue").json()["items"]
    assert item["customer"]["email"] == "alex@example.com"


def test_terminal_chat_explains_an_unreachable_server() -> None:
    result = _run(
        ["chat", "--url", "http://127.0.0.1:9", "--email", "alex@example.com"], env={}, stdin=""
    )
    assert result.returncode != 0
    assert "Cannot reach" in result.stderr


def test_set_up_a_workspace_and_staff_without_the_demo(tmp_path: Path) -> None:
    env = {"HYBRIDCX_DATA_DIR": str(tmp_path), "HYBRIDCX_DATABASE_URL": ""}
    created = _run(["workspace", "create", "acme", "--name", "Acme Inc", "--default"], env=env)
    assert created.returncode == 0, created.stderr
    assert "inbox key" in created.stdout and "inbox secret" in created.stdout
    dup = _run(["workspace", "create", "acme"], env=env)
    assert dup.returncode == 2 and "already exists" in dup.stderr
    bad = _run(["workspace", "create", "Not A Slug"], env=env)
    assert bad.returncode == 2 and "slug" in bad.stderr
    added = _run(
        [
            "staff",
            "add",
            "--workspace",
            "acme",
            "--email",
            "Lead@Acme.test",
            "--name",
            "Lead",
            "--role",
            "admin",
        ],
        env=env,
        stdin="correct-horse-battery\ncorrect-horse-battery\n",
    )
    assert added.returncode == 0, added.stderr
    con = sqlite3.connect(tmp_path / "hybridcx.db")
    row = con.execute(
        "select role, password_hash from agents where email='lead@acme.test'"
    ).fetchone()
    assert row[0] == "admin" and row[1].startswith("$argon2") and "correct-horse" not in row[1]
    assert con.execute("select count(*) from inboxes").fetchone()[0] == 1
    weak = _run(
        [
            "staff",
            "add",
            "--workspace",
            "acme",
            "--email",
            "b@acme.test",
            "--name",
            "B",
            "--password",
            "short",
        ],
        env=env,
    )
    assert weak.returncode == 2 and "at least 10" in weak.stderr
