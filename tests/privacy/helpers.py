"""Shared helpers for the privacy tests: escalated conversations and raw database reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import text

from hybridcx.models import Base
from tests.support import Api, LiveServer

CARD = "4111 1111 1111 1111"
CARD_DIGITS = "4111111111111111"


def escalate(api: Api, email: str, name: str = "") -> dict[str, Any]:
    conv = api.start(email, name)
    if conv["status"] == "bot":
        assert api.say(conv, "agent").json()["conversation"]["status"] == "queued"
    return conv


def accepted(api: Api, email: str, name: str = "") -> tuple[dict[str, Any], str]:
    conv = escalate(api, email, name)
    token = api.login("agent@example.com", "demo-agent")
    r = api.staff(token, "POST", f"/api/v1/conversations/{conv['id']}/accept")
    assert r.status_code == 200, r.text
    return conv, token


async def _dump(server: LiveServer) -> bytes:
    """What an attacker with the database gets: the SQLite file (WAL checkpointed into it), or
    every row of every table as PostgreSQL prints it (what pg_dump writes)."""
    async with server.runtime.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            path = Path(server.settings.effective_database_url.split(":///", 1)[1])
            return _file_bytes(path)
        rows = []
        for table in Base.metadata.sorted_tables:
            result = await conn.execute(text(f"SELECT t::text FROM {table.name} t"))
            rows.extend(r[0] for r in result)
        return "\n".join(rows).encode()


def _file_bytes(path: Path) -> bytes:
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def raw_database(server: LiveServer) -> bytes:
    return server.call(_dump(server))  # type: ignore[no-any-return]
