"""Encryption at rest: no clear message text or customer PII in the database file or dump, key
rotation without downtime, and migration 0007 sealing rows written before it."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from typer.testing import CliRunner

from hybridcx.cli import app
from hybridcx.customers.repository import find_customer_by_email, find_customer_by_phone
from hybridcx.kit.db import create_engine, session_factory, upgrade
from hybridcx.kit.keys import load_keyring
from hybridcx.kit.sealed import attach_keyring
from hybridcx.models import Case, Conversation, ConversationEvent, Customer, Message
from tests.privacy.helpers import accepted, raw_database
from tests.support import Api, LiveServer, postgres_url

SECRET = "my parcel with the violin went to the wrong porch"
EMAIL = "rosalind.quartermaine@example.com"
NAME = "Rosalind Quartermaine"


def test_no_clear_text_in_the_database_after_a_conversation(api: Api, server: LiveServer) -> None:
    conv, alice = accepted(api, EMAIL, NAME)
    assert api.say(conv, SECRET).status_code == 200
    r = api.staff(
        alice,
        "POST",
        f"/api/v1/conversations/{conv['id']}/replies",
        json={"text": "Sorry about the violin, Rosalind, I'll sort it out."},
    )
    assert r.status_code == 200
    assert api.staff(alice, "POST", f"/api/v1/conversations/{conv['id']}/resolve").is_success
    # Staff still read everything in clear through the API...
    full = api.staff(alice, "GET", f"/api/v1/conversations/{conv['id']}").json()
    assert SECRET in [m["text"] for m in full["messages"]]
    assert full["customer"]["email"] == EMAIL and full["customer"]["name"] == NAME
    # ...but the stored bytes hold none of it.
    dump = raw_database(server)
    for needle in (SECRET, "violin", EMAIL, "Quartermaine", "sort it out"):
        assert needle.encode() not in dump, needle
    assert b"v1:" in dump  # sealed values are there


def test_lookups_by_email_and_phone_use_blind_indexes(api: Api, server: LiveServer) -> None:
    admin = api.login("admin@example.com", "demo-admin")
    r = api.staff(
        admin,
        "POST",
        "/api/v1/customers",
        json={"email": "  Blind.Index@Example.com ", "name": "Bea", "phone": "+1 (415) 555-0199"},
    )
    assert r.status_code == 201, r.text
    again = api.staff(admin, "POST", "/api/v1/customers", json={"email": "blind.index@example.com"})
    assert again.status_code == 200 and again.json()["id"] == r.json()["id"]

    async def lookups() -> tuple[str | None, str | None]:
        async with server.runtime.sessions() as s:
            ws = (await s.execute(select(Customer.workspace_id).limit(1))).scalar_one()
            by_email = await find_customer_by_email(s, ws, "BLIND.INDEX@example.com")
            by_phone = await find_customer_by_phone(s, ws, "+14155550199")
            return (by_email.id if by_email else None, by_phone.id if by_phone else None)

    assert server.call(lookups()) == (r.json()["id"], r.json()["id"])
    assert b"blind.index" not in raw_database(server).lower()


@pytest.fixture
def cli_env(server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYBRIDCX_DATA_DIR", str(server.settings.data_dir))
    monkeypatch.setenv("HYBRIDCX_DATABASE_URL", server.settings.effective_database_url)


def _status() -> dict:
    result = CliRunner().invoke(app, ["keys", "status", "--json"])
    assert result.exit_code == 0, result.output
    # The test server runs in this process: a line it logs while the runner holds stdout lands
    # in the output too. The report is the line that starts with "{" (log lines start with
    # their time).
    lines = result.output.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("{"))
    report, _end = json.JSONDecoder().raw_decode("".join(lines[start:]))
    return report  # type: ignore[no-any-return]


def test_rotation_keeps_old_rows_readable_and_reencrypts(
    api: Api, server: LiveServer, cli_env: None
) -> None:
    conv, alice = accepted(api, "rotate.me@example.com", "Rory")
    assert api.say(conv, "the first words, sealed with the old key").status_code == 200
    before = _status()
    old = before["active"]
    assert before["totals"][old] > 0 and "clear" not in before["totals"]

    runner = CliRunner()
    result = runner.invoke(app, ["keys", "rotate", "--no-reencrypt"])
    assert result.exit_code == 0, result.output
    mid = _status()
    new = mid["active"]
    assert new != old and set(mid["keys"]) == {*before["keys"], new}
    assert mid["totals"][old] == before["totals"][old]  # nothing re-sealed yet
    # The running server opens the old rows and seals new ones with the new key.
    assert api.say(conv, "more words after the rotation").status_code == 200
    read = api.staff(alice, "GET", f"/api/v1/conversations/{conv['id']}").json()
    texts = [m["text"] for m in read["messages"]]
    assert "the first words, sealed with the old key" in texts
    assert "more words after the rotation" in texts

    result = runner.invoke(app, ["keys", "reencrypt"])
    assert result.exit_code == 0, result.output
    after = _status()
    assert after["totals"].get(old, 0) == 0 and after["totals"][new] > 0
    result = runner.invoke(app, ["keys", "prune"])
    assert result.exit_code == 0 and old in result.output
    assert old not in _status()["keys"]
    read = api.staff(alice, "GET", f"/api/v1/conversations/{conv['id']}").json()
    assert "the first words, sealed with the old key" in [m["text"] for m in read["messages"]]


LEGACY_SCHEMA = "legacy_0007_test"


async def _engine(backend: str, data_dir: Path) -> AsyncEngine:
    ring = load_keyring(keys=None, index_key=None, key_file=None, data_dir=data_dir)
    if backend == "sqlite":
        return create_engine(f"sqlite+aiosqlite:///{data_dir / 'legacy.db'}", keyring=ring)
    # A schema of its own, so the session's PostgreSQL server keeps its tables.
    admin = create_async_engine(postgres_url())
    async with admin.begin() as conn:
        await conn.execute(text(f"DROP SCHEMA IF EXISTS {LEGACY_SCHEMA} CASCADE"))
        await conn.execute(text(f"CREATE SCHEMA {LEGACY_SCHEMA}"))
    await admin.dispose()
    engine = create_async_engine(
        postgres_url(),
        connect_args={"server_settings": {"search_path": LEGACY_SCHEMA}},
    )
    attach_keyring(engine, ring)
    return engine


async def _legacy_database(backend: str, data_dir: Path) -> dict[str, str]:
    """A database at revision 0004 with clear rows, then upgraded: every value gets sealed."""
    engine = await _engine(backend, data_dir)
    now = datetime(2026, 1, 5, 12, 0)
    try:
        await upgrade(engine, "0004")
        async with engine.begin() as conn:
            params = {"now": now}
            await conn.execute(
                text(
                    "INSERT INTO workspaces (id, slug, name, is_default, created_at) "
                    "VALUES ('w1', 'legacy', 'Legacy', true, :now)"
                ),
                params,
            )
            await conn.execute(
                text(
                    "INSERT INTO inboxes (id, workspace_id, key, channel, name, hmac_secret, "
                    "is_default, created_at) VALUES ('i1', 'w1', 'legacy-inbox', 'webchat', "
                    "'Chat', 's', true, :now)"
                ),
                params,
            )
            await conn.execute(
                text(
                    "INSERT INTO customers (id, workspace_id, email, name, phone, vip, "
                    "lifetime_value, human_only, consents, updated_at, created_at) VALUES "
                    "('c1', 'w1', 'old.timer@example.com', 'Olive Oldtimer', '+44 20 7946 0958', "
                    "false, 0, false, '{}', :now, :now)"
                ),
                params,
            )
            await conn.execute(
                text(
                    "INSERT INTO conversations (id, workspace_id, inbox_id, customer_id, channel, "
                    "status, tier, customer_token_hash, identity_verified, routing, handoff, "
                    "ai_state, updated_at, created_at) VALUES ('v1', 'w1', 'i1', 'c1', "
                    "'webchat', 'resolved', 2, 'h', false, '{}', "
                    '\'{"summary": "Olive lost her harp"}\', \'{"topic": "order_status"}\', '
                    ":now, :now)"
                ),
                params,
            )
            await conn.execute(
                text(
                    "INSERT INTO messages (id, workspace_id, conversation_id, author, text, "
                    "internal, buttons, created_at) VALUES ('m1', 'w1', 'v1', 'customer', "
                    "'where is my harp', false, '[]', :now)"
                ),
                params,
            )
            await conn.execute(
                text(
                    "INSERT INTO conversation_events (id, workspace_id, conversation_id, type, "
                    "actor, data, created_at) VALUES ('e1', 'w1', 'v1', 'conversation.resolved', "
                    '\'agent\', \'{"summary": "harp found", "category": "Orders"}\', :now)'
                ),
                params,
            )
            await conn.execute(
                text(
                    "INSERT INTO cases (id, workspace_id, conversation_id, question, resolution, "
                    "outcome, created_at) VALUES ('k1', 'w1', 'v1', 'where is my harp', "
                    "'harp found', 'resolved', :now)"
                ),
                params,
            )
        await upgrade(engine)
        async with engine.connect() as conn:
            raw = {}
            for table, col in (
                ("customers", "email"),
                ("customers", "name"),
                ("messages", "text"),
                ("conversations", "handoff"),
                ("cases", "question"),
            ):
                raw[f"{table}.{col}"] = (
                    await conn.execute(text(f"SELECT {col} FROM {table}"))
                ).scalar_one()
            event_raw = (
                await conn.execute(text("SELECT data FROM conversation_events"))
            ).scalar_one()
            raw["event"] = event_raw if isinstance(event_raw, str) else json.dumps(event_raw)
        async with session_factory(engine)() as s:
            customer = await find_customer_by_email(s, "w1", "Old.Timer@example.com")
            assert customer is not None and customer.name == "Olive Oldtimer"
            assert (await find_customer_by_phone(s, "w1", "+442079460958")) is not None
            assert (await s.get(Message, 1)).text == "where is my harp"  # type: ignore[union-attr]
            conv = await s.get(Conversation, "v1")
            assert conv is not None and conv.handoff == {"summary": "Olive lost her harp"}
            assert conv.ai_state == {"topic": "order_status"}
            event = (await s.execute(select(ConversationEvent))).scalar_one()
            assert event.data == {"summary": "harp found", "category": "Orders"}
            assert (await s.get(Case, "k1")).question == "where is my harp"  # type: ignore[union-attr]
        return raw
    finally:
        await engine.dispose()
        if backend == "postgres":
            admin = create_async_engine(postgres_url())
            async with admin.begin() as conn:
                await conn.execute(text(f"DROP SCHEMA IF EXISTS {LEGACY_SCHEMA} CASCADE"))
            await admin.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_migration_seals_rows_written_before_it(backend: str, tmp_path: Path) -> None:
    if backend == "postgres":
        postgres_url()  # skipped without one; a failure in CI
    raw = asyncio.run(_legacy_database(backend, tmp_path))
    for key, value in raw.items():
        assert "harp" not in value and "Olive" not in value and "old.timer" not in value, key
    assert raw["customers.email"].startswith("v1:")
    assert '"category": "Orders"' in raw["event"] or '"category":"Orders"' in raw["event"]
