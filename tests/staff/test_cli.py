"""`hybridcx staff reset-mfa`: the break glass for a staff member (the only admin, say) who
lost their authenticator, run by whoever runs the server."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.e2e.test_cli import _run


def test_reset_mfa_from_the_command_line(tmp_path: Path) -> None:
    env = {"HYBRIDCX_DATA_DIR": str(tmp_path), "HYBRIDCX_DATABASE_URL": ""}
    assert _run(["workspace", "create", "acme", "--default"], env=env).returncode == 0
    added = _run(
        ["staff", "add", "--workspace", "acme", "--email", "boss@acme.test", "--name", "Boss"]
        + ["--role", "admin"],
        env=env,
        stdin="correct-horse-battery\ncorrect-horse-battery\n",
    )
    assert added.returncode == 0, added.stderr
    none = _run(["staff", "reset-mfa", "--email", "boss@acme.test"], env=env)
    assert none.returncode == 2 and "no second factor" in none.stderr
    con = sqlite3.connect(tmp_path / "hybridcx.db")
    con.execute(
        "update agents set mfa_secret='x', mfa_enabled_at='2030-01-01 00:00:00', "
        "mfa_recovery_hashes='[\"h\"]' where email='boss@acme.test'"
    )
    con.commit()
    done = _run(["staff", "reset-mfa", "--email", "Boss@Acme.test"], env=env)
    assert done.returncode == 0, done.stderr
    row = con.execute(
        "select mfa_secret, mfa_enabled_at, mfa_recovery_hashes from agents "
        "where email='boss@acme.test'"
    ).fetchone()
    assert row == (None, None, "[]")
    actions = [r[0] for r in con.execute("select action from audit_log where actor_type='cli'")]
    assert "staff.mfa_reset" in actions
    missing = _run(["staff", "reset-mfa", "--email", "ghost@acme.test"], env=env)
    assert missing.returncode == 2 and "No staff account" in missing.stderr
