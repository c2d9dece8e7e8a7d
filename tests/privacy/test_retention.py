"""Retention: transcripts older than the workspace policy go, metrics stay; the server's
scheduled job also carries out pending erasures."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from hybridcx.cli import app
from hybridcx.demo.seed import DEMO_WORKSPACE_SLUG
from hybridcx.kit.db import transaction
from hybridcx.kit.ids import utcnow
from hybridcx.models import Conversation
from hybridcx.privacy import erasure
from tests.privacy.helpers import accepted
from tests.support import Api, LiveServer, reset_database, settings_for


@pytest.fixture
def retention_policy(server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HYBRIDCX_DATA_DIR", str(server.settings.data_dir))
    monkeypatch.setenv("HYBRIDCX_DATABASE_URL", server.settings.effective_database_url)
    path = server.settings.policy_dir / f"{DEMO_WORKSPACE_SLUG}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("retention:\n  transcripts_days: 30\n")
    yield
    path.unlink()


def _resolved(api: Api, email: str, words: str) -> tuple[dict, str]:
    conv, alice = accepted(api, email)
    api.say(conv, words)
    api.staff(alice, "POST", f"/api/v1/conversations/{conv['id']}/replies", json={"text": "done"})
    assert api.staff(alice, "POST", f"/api/v1/conversations/{conv['id']}/resolve").is_success
    return conv, alice


def test_retention_deletes_old_transcripts_and_keeps_metrics(
    api: Api, server: LiveServer, retention_policy: None
) -> None:
    old, alice = _resolved(api, "old.story@example.com", "an old story about a kettle")
    new, _ = _resolved(api, "new.story@example.com", "a new story about a toaster")

    async def backdate() -> None:
        async with transaction(server.runtime.sessions) as s:
            await s.execute(
                update(Conversation)
                .where(Conversation.id == old["id"])
                .values(resolved_at=utcnow() - timedelta(days=45))
            )

    server.call(backdate())
    sam = api.login("supervisor@example.com", "demo-supervisor")
    kpis_before = api.staff(sam, "GET", "/api/v1/analytics/kpis").json()["volume"]

    shown = CliRunner().invoke(app, ["privacy", "retention"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)[DEMO_WORKSPACE_SLUG]["transcripts_days"] == 30
    result = CliRunner().invoke(app, ["privacy", "retention", "--run"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)["workspaces"][DEMO_WORKSPACE_SLUG]
    assert counts["conversations"] == 1 and counts["messages"] >= 3 and counts["cases"] == 1

    gone = api.staff(sam, "GET", f"/api/v1/conversations/{old['id']}").json()
    assert gone["messages"] == [] and gone["handoff"] is None
    assert gone["status"] == "resolved" and gone["customer"]["email"] == "old.story@example.com"
    resolved = [e for e in gone["events"] if e["type"] == "conversation.resolved"][0]["data"]
    assert "summary" not in resolved and resolved["category"]
    kept = api.staff(sam, "GET", f"/api/v1/conversations/{new['id']}").json()
    assert "a new story about a toaster" in [m["text"] for m in kept["messages"]]
    assert api.staff(sam, "GET", "/api/v1/analytics/kpis").json()["volume"] == kpis_before
    # A second run finds nothing more to do.
    again = json.loads(CliRunner().invoke(app, ["privacy", "retention", "--run"]).stdout)
    assert again["workspaces"][DEMO_WORKSPACE_SLUG]["conversations"] == 0


def test_the_server_job_runs_pending_erasures(tmp_path: Path) -> None:
    settings = settings_for("sqlite", tmp_path, nlu_enabled=False, retention_interval_seconds=1)
    live = LiveServer(settings).start()
    try:
        live.call(reset_database(live.runtime.sessions))
        client = Api(live.url, live.ws_url)
        conv = client.start("scheduled@example.com", "Sky")
        sam = client.login("admin@example.com", "demo-admin")  # erasure requests: admins
        cid = client.staff(sam, "GET", f"/api/v1/conversations/{conv['id']}").json()["customer"][
            "id"
        ]

        async def pending() -> str:
            async with transaction(live.runtime.sessions) as s:
                workspace_id = (await s.get(Conversation, conv["id"])).workspace_id  # type: ignore[union-attr]
                req = await erasure.request_erasure(
                    s, workspace_id=workspace_id, customer_id=cid, requested_by=None, due_days=30
                )
                return req.id

        request_id = live.call(pending())
        deadline = time.monotonic() + 15
        status = "pending"
        while time.monotonic() < deadline and status == "pending":
            time.sleep(0.2)
            status = client.staff(sam, "GET", f"/api/v1/privacy/erasures/{request_id}").json()[
                "status"
            ]
        assert status == "completed"
        client.close()
    finally:
        live.stop()
