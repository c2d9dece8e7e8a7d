"""The email channel's personal data under erasure, retention, export and key rotation, through
real SMTP into the server, the real API and the real CLI (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from hybridcx.cli import app
from hybridcx.demo.seed import DEMO_WORKSPACE_SLUG
from hybridcx.kit.db import session_factory, transaction, upgrade
from hybridcx.kit.ids import utcnow
from hybridcx.models import Conversation, ConversationEvent, EmailDraft, EmailRecord
from hybridcx.privacy.files import MAGIC, key_id_of_file
from tests.channels.email_fixtures import MailSink
from tests.channels.test_email_smtp import (
    CUSTOMER,
    conversation,
    email_conversations,
    make_mail,
    smtp_send,
    staff_token,
)
from tests.privacy.test_at_rest import LEGACY_SCHEMA, _engine
from tests.privacy.test_gdpr import _wait_done
from tests.support import IN_CI, POSTGRES_URL, Api, LiveServer

PHOTO = b"\x89PNG\r\n" + b"a receipt photo of Alex Morgan " * 200
OTHER = "jordan.reed@example.com"


@pytest.fixture
def mail(email_server: LiveServer, mail_sink: MailSink) -> Iterator[Api]:
    email_server.reset()
    mail_sink.clear()
    client = Api(email_server.url, email_server.ws_url)
    yield client
    client.close()


@pytest.fixture
def cli_env(email_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI on the email server's data dir (key file, policies, attachments) and database."""
    monkeypatch.setenv("HYBRIDCX_DATA_DIR", str(email_server.settings.data_dir))
    monkeypatch.setenv("HYBRIDCX_DATABASE_URL", email_server.settings.effective_database_url)


def _complaint(
    sender: str = f"Alex Morgan <{CUSTOMER}>", subject: str = "Broken juicer, order 1001"
) -> EmailMessage:
    msg = make_mail(
        "I want to make a complaint about my order, photo attached.",
        subject=subject,
        sender=sender,
    )
    msg.add_attachment(PHOTO, maintype="image", subtype="png", filename="receipt.png")
    return msg


def _send_complaint(server: LiveServer, mail: Api) -> dict[str, Any]:
    """Alex's complaint with a photo (a draft waits for an agent), and Alex's conversation."""
    smtp_send(server, _complaint())
    sup = staff_token(mail, "supervisor")
    [conv] = [c for c in email_conversations(mail, sup) if c["customer"]["email"] == CUSTOMER]
    return conversation(mail, sup, conv["id"])


def _stored_attachment(server: LiveServer, conv: dict[str, Any]) -> tuple[dict[str, Any], Path]:
    [said] = [m for m in conv["messages"] if m["author"] == "customer"]
    [att] = said["channel_meta"]["email"]["attachments"]
    assert att["status"] == "stored"
    return {**att, "message_id": said["id"]}, server.settings.data_dir.resolve() / att["path"]


def _auto_reply_without_thread(server: LiveServer) -> None:
    """An out-of-office from Alex that answers nothing we know: recorded, tied to nothing."""
    smtp_send(
        server,
        make_mail(
            "I am out of the office until Monday.",
            subject="Out of office",
            headers={"Auto-Submitted": "auto-replied"},
        ),
    )


async def _mail_rows(server: LiveServer) -> dict[str, Any]:
    async with server.runtime.sessions() as s:
        records = (await s.execute(select(EmailRecord))).scalars().all()
        drafts = (await s.execute(select(EmailDraft))).scalars().all()
        convs = (await s.execute(select(Conversation))).scalars().all()
        events = (await s.execute(select(ConversationEvent))).scalars().all()
        return {
            "senders": sorted(r.from_addr for r in records if r.direction == "in"),
            "subjects": sorted(r.subject for r in records),
            "drafts": [(d.conversation_id, d.text) for d in drafts],
            "conversations": {c.id: (c.thread_key, c.channel_meta) for c in convs},
            "event_data": [e.data for e in events],
        }


def test_erasure_removes_mail_records_drafts_and_attachment_files(
    email_server: LiveServer, mail: Api
) -> None:
    conv = _send_complaint(email_server, mail)
    _att, path = _stored_attachment(email_server, conv)
    _auto_reply_without_thread(email_server)
    smtp_send(email_server, _complaint(f"Jordan <{OTHER}>", "Jordan's kettle"), mail_from=OTHER)
    before = email_server.call(_mail_rows(email_server))
    assert before["senders"].count(CUSTOMER) == 2 and OTHER in before["senders"]
    assert any(cid == conv["id"] for cid, _ in before["drafts"])
    assert path.is_file()

    admin = mail.login("admin@example.com", "demo-admin")
    r = mail.staff(admin, "DELETE", f"/api/v1/customers/{conv['customer']['id']}")
    assert r.status_code == 202, r.text
    done = _wait_done(mail, admin, r.json()["id"])
    assert done["status"] == "completed", done
    steps = {s["step"]: s["count"] for s in done["steps"]}
    assert steps["email_messages"] == 2  # the complaint, and the auto-reply tied to nothing
    assert steps["email_drafts"] == 1 and steps["email/attachments"] == 1

    after = email_server.call(_mail_rows(email_server))
    assert CUSTOMER not in after["senders"] and OTHER in after["senders"]
    assert (
        "Broken juicer, order 1001" in before["subjects"] and "Out of office" in before["subjects"]
    )
    assert {s.removeprefix("Re: ") for s in after["subjects"]} == {"Jordan's kettle"}
    assert all(cid != conv["id"] for cid, _ in after["drafts"])
    thread_key, channel_meta = after["conversations"][conv["id"]]
    assert thread_key is None and channel_meta == {}
    assert not path.exists() and not path.parent.exists()
    # The other customer's file and records stay.
    sup = staff_token(mail, "supervisor")
    [jordan] = [c for c in email_conversations(mail, sup) if c["customer"]["email"] == OTHER]
    _, jordan_path = _stored_attachment(email_server, conversation(mail, sup, jordan["id"]))
    assert jordan_path.is_file()
    assert CUSTOMER not in json.dumps(after["event_data"])


def test_export_has_the_mail_records_drafts_and_attachment_content(
    email_server: LiveServer, mail: Api
) -> None:
    conv = _send_complaint(email_server, mail)
    att, _ = _stored_attachment(email_server, conv)
    admin = mail.login("admin@example.com", "demo-admin")
    r = mail.staff(admin, "GET", f"/api/v1/customers/{conv['customer']['id']}/export")
    assert r.status_code == 200, r.text
    doc = r.json()
    [exported] = doc["attachments"]
    assert exported["id"] == att["id"] and exported["message_id"] == att["message_id"]
    assert exported["filename"] == "receipt.png" and exported["size"] == len(PHOTO)
    assert base64.b64decode(exported["content_base64"]) == PHOTO
    inbound = [e for e in doc["email"] if e["direction"] == "in"]
    assert [(e["from"], e["subject"]) for e in inbound] == [(CUSTOMER, "Broken juicer, order 1001")]
    [exported_conv] = doc["conversations"]
    assert exported_conv["channel_meta"]["email"]["subject"] == "Broken juicer, order 1001"
    assert [d["status"] for d in exported_conv["email_drafts"]] == ["pending"]


def test_retention_removes_expired_mail_records_drafts_and_files(
    email_server: LiveServer, mail: Api, cli_env: None
) -> None:
    conv = _send_complaint(email_server, mail)
    _, path = _stored_attachment(email_server, conv)
    _auto_reply_without_thread(email_server)
    sup = staff_token(mail, "supervisor")
    assert mail.staff(sup, "POST", f"/api/v1/conversations/{conv['id']}/takeover").is_success
    assert mail.staff(sup, "POST", f"/api/v1/conversations/{conv['id']}/resolve").is_success

    async def backdate() -> None:
        past = utcnow() - timedelta(days=45)
        async with transaction(email_server.runtime.sessions) as s:
            await s.execute(
                update(Conversation).where(Conversation.id == conv["id"]).values(resolved_at=past)
            )
            await s.execute(update(EmailRecord).values(created_at=past))

    email_server.call(backdate())
    policy = email_server.settings.policy_dir / f"{DEMO_WORKSPACE_SLUG}.yaml"
    policy.parent.mkdir(parents=True, exist_ok=True)
    policy.write_text("retention:\n  transcripts_days: 30\n")
    try:
        result = CliRunner().invoke(app, ["privacy", "retention", "--run"])
    finally:
        policy.unlink()
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)["workspaces"][DEMO_WORKSPACE_SLUG]
    assert counts["conversations"] == 1 and counts["email/attachments"] == 1
    # the complaint, the auto-reply, and the CSAT survey mailed on resolution
    assert counts["email_messages"] == 3 and counts["email_drafts"] == 1

    after = email_server.call(_mail_rows(email_server))
    assert after["senders"] == [] and after["drafts"] == []
    assert after["conversations"][conv["id"]] == (None, {})
    assert not path.exists()


def test_attachment_files_are_sealed_and_keys_rotate_covers_them(
    email_server: LiveServer, mail: Api, cli_env: None
) -> None:
    conv = _send_complaint(email_server, mail)
    att, path = _stored_attachment(email_server, conv)
    sealed = path.read_bytes()
    assert sealed.startswith(MAGIC) and b"receipt photo" not in sealed
    first_key = key_id_of_file(sealed)

    rotated = CliRunner().invoke(app, ["keys", "rotate"])
    assert rotated.exit_code == 0, rotated.output
    # (earlier tests' files in this data dir are re-sealed too)
    assert re.search(r"files:email/attachments: [1-9]\d* re-sealed", rotated.output)
    status = CliRunner().invoke(app, ["keys", "status", "--json"])
    assert status.exit_code == 0, status.output
    usage = json.loads(status.stdout)
    new_key = usage["active"]
    assert new_key != first_key
    assert set(usage["columns"]["files:email/attachments"]) == {new_key}
    assert key_id_of_file(path.read_bytes()) == new_key
    assert b"receipt photo" not in path.read_bytes()
    # The running server still opens it (it reloads the key file when it meets a new key).
    sup = staff_token(mail, "supervisor")
    url = f"/api/v1/conversations/{conv['id']}/messages/{att['message_id']}/attachments/{att['id']}"
    r = mail.staff(sup, "GET", url)
    assert r.status_code == 200 and r.content == PHOTO
    # The old key is no longer used by anything, so prune removes it.
    pruned = CliRunner().invoke(app, ["keys", "prune"])
    assert pruned.exit_code == 0 and first_key in pruned.output, pruned.output


async def _recipient_before_0017(backend: str, data_dir: Path) -> tuple[str, str]:
    """A mail record written at revision 0016 with the recipient in clear, then upgraded."""
    engine = await _engine(backend, data_dir)
    try:
        await upgrade(engine, "0016")
        async with engine.begin() as conn:
            params = {"now": datetime(2026, 1, 5, 12, 0)}
            await conn.execute(
                text(
                    "INSERT INTO workspaces (id, slug, name, is_default, created_at) "
                    "VALUES ('w1', 'legacy', 'Legacy', true, :now)"
                ),
                params,
            )
            await conn.execute(
                text(
                    "INSERT INTO email_messages (id, workspace_id, direction, rfc_message_id, "
                    "status, from_addr, to_addr, subject, meta, created_at) VALUES ('r1', 'w1', "
                    "'out', '<a@b>', 'sent', '', 'olive.oldtimer@example.com', '', '{}', :now)"
                ),
                params,
            )
        await upgrade(engine)
        async with engine.connect() as conn:
            raw = (await conn.execute(text("SELECT to_addr FROM email_messages"))).scalar_one()
        async with session_factory(engine)() as s:
            record = await s.get(EmailRecord, "r1")
            assert record is not None
            return str(raw), record.to_addr
    finally:
        await engine.dispose()
        if backend == "postgres":
            admin = create_async_engine(POSTGRES_URL)  # type: ignore[arg-type]
            async with admin.begin() as conn:
                await conn.execute(text(f"DROP SCHEMA IF EXISTS {LEGACY_SCHEMA} CASCADE"))
            await admin.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_migration_0017_seals_the_recipients_of_mail_records(backend: str, tmp_path: Path) -> None:
    if backend == "postgres" and not POSTGRES_URL:
        if IN_CI:
            pytest.fail("CI=true but HYBRIDCX_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL tests need HYBRIDCX_TEST_POSTGRES_URL (see DEVELOPERS.md)")
    raw, read = asyncio.run(_recipient_before_0017(backend, tmp_path))
    assert raw.startswith("v1:") and "olive" not in raw
    assert read == "olive.oldtimer@example.com"
