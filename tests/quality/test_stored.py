"""Stored quality scores: every conversation is scored when it is resolved and kept with the
rubric's version; the per-handler summary reads the stored scores (all of them, no cap); a
backfill scores what finished before scores were stored, and rescores after a rubric change."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select
from typer.testing import CliRunner

from hybridcx.cli import app
from hybridcx.kit.db import transaction
from hybridcx.kit.ids import hash_token, new_id, new_token, utcnow
from hybridcx.models import Conversation, Customer, Inbox, QualityScore, Workspace
from hybridcx.quality.rubric import rubric_path
from hybridcx.quality.scoring import sweep
from tests.quality.test_endpoints import handled
from tests.support import Api, LiveServer


def stored(server: LiveServer) -> dict[str, dict[str, Any]]:
    async def rows() -> dict[str, dict[str, Any]]:
        async with server.runtime.sessions() as session:
            found = (await session.execute(select(QualityScore))).scalars().all()
            return {
                r.conversation_id: {
                    "handler": r.handler,
                    "score": r.score,
                    "rubric_version": r.rubric_version,
                    "criteria": r.criteria,
                }
                for r in found
            }

    return server.call(rows())  # type: ignore[no-any-return]


def forget_scores(server: LiveServer) -> None:
    async def wipe() -> None:
        async with transaction(server.runtime.sessions) as session:
            await session.execute(delete(QualityScore))

    server.call(wipe())


@pytest.fixture
def cli_env(server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYBRIDCX_DATA_DIR", str(server.settings.data_dir))
    monkeypatch.setenv("HYBRIDCX_DATABASE_URL", server.settings.effective_database_url)


@pytest.fixture
def rubric_file(server: LiveServer) -> Iterator[Path]:
    path = rubric_path(server.settings.policy_dir, "default")
    path.parent.mkdir(parents=True, exist_ok=True)
    yield path
    path.unlink(missing_ok=True)


def backfill(*args: str) -> int:
    result = CliRunner().invoke(app, ["quality", "backfill", *args])
    assert result.exit_code == 0, result.output
    return int(json.loads(result.output.strip().splitlines()[-1])["scored"])


def test_resolving_stores_the_score_and_the_summary_reads_it(
    api: Api, server: LiveServer, cli_env: None, rubric_file: Path
) -> None:
    alice = api.login("agent@example.com", "demo-agent")
    sam = api.login("supervisor@example.com", "demo-supervisor")
    good = handled(
        api, alice, ["Hello Pat, I'm Alice.", "Done. Is there anything else?"], "no, thanks!"
    )
    bad = handled(api, alice, ["ok"], None)
    rows = stored(server)
    assert set(rows) == {good["id"], bad["id"]}
    live = api.staff(sam, "GET", f"/api/v1/quality/conversations/{good['id']}").json()
    assert rows[good["id"]]["score"] == live["score"] and rows[good["id"]]["handler"] != "ai"
    assert rows[good["id"]]["criteria"] == live["criteria"]
    summary = api.staff(sam, "GET", "/api/v1/quality/agents").json()
    version = summary["current_rubric_version"]
    assert version.startswith("v1-") and summary["rubric_versions"] == {version: 2}
    (row,) = summary["handlers"]
    assert row["average_score"] == round(
        (rows[good["id"]]["score"] + rows[bad["id"]]["score"]) / 2, 1
    )

    # The rubric changes: live scores follow it, the stored ones keep their version until a
    # rescore, so the summary never silently mixes two rubrics.
    rubric_file.write_text("weights:\n  greeting_disclosure: 10\n", encoding="utf-8")
    assert api.staff(sam, "GET", "/api/v1/quality/agents").json()["rubric_versions"] == {version: 2}
    assert backfill() == 0  # nothing is missing a score
    assert backfill("--rescore") == 2
    after = api.staff(sam, "GET", "/api/v1/quality/agents").json()
    new_version = after["current_rubric_version"]
    assert new_version != version and after["rubric_versions"] == {new_version: 2}
    assert (
        stored(server)[good["id"]]["score"]
        == (api.staff(sam, "GET", f"/api/v1/quality/conversations/{good['id']}").json()["score"])
    )


def test_backfill_scores_what_finished_before_scores_were_stored(
    api: Api, server: LiveServer, cli_env: None
) -> None:
    alice = api.login("agent@example.com", "demo-agent")
    sam = api.login("supervisor@example.com", "demo-supervisor")
    conv = handled(api, alice, ["Hello Pat. Done, is there anything else?"], "no, thanks!")
    ai_only = api.start("rene@example.com", "Rene")
    assert api.say(ai_only, "What are your opening hours?").status_code == 200
    forget_scores(server)
    assert api.staff(sam, "GET", "/api/v1/quality/agents").json()["scored_conversations"] == 0

    assert backfill() == 1  # the resolved one; the AI may still be talking with Rene
    assert set(stored(server)) == {conv["id"]}
    # once the AI has been done with a conversation for half an hour, it is scored too
    later = utcnow() + timedelta(minutes=31)
    assert server.call(sweep(server.runtime.sessions, server.runtime.policies, now=later)) == 1
    rows = stored(server)
    assert rows[ai_only["id"]]["handler"] == "ai"
    summary = api.staff(sam, "GET", "/api/v1/quality/agents").json()
    assert [h["handler"] for h in summary["handlers"]] == ["ai", "agent"]
    # a sweep with nothing new to score scores nothing
    assert server.call(sweep(server.runtime.sessions, server.runtime.policies, now=later)) == 0


def test_the_summary_counts_every_stored_score(api: Api, server: LiveServer) -> None:
    """More than the 2,000 conversations the summary used to rescore per request."""
    count = 2100

    async def seed() -> None:
        async with transaction(server.runtime.sessions) as session:
            ws = (
                await session.execute(select(Workspace).where(Workspace.slug == "default"))
            ).scalar_one()
            inbox = (
                await session.execute(select(Inbox).where(Inbox.workspace_id == ws.id).limit(1))
            ).scalar_one()
            customer = (
                await session.execute(
                    select(Customer).where(Customer.workspace_id == ws.id).limit(1)
                )
            ).scalar_one()
            now = utcnow() - timedelta(hours=1)
            for i in range(count):
                conv = Conversation(
                    id=new_id(),
                    workspace_id=ws.id,
                    inbox_id=inbox.id,
                    customer_id=customer.id,
                    channel="webchat",
                    status="resolved",
                    customer_token_hash=hash_token(new_token()),
                    created_at=now,
                    updated_at=now,
                    resolved_at=now,
                )
                session.add(conv)
                session.add(
                    QualityScore(
                        id=new_id(),
                        workspace_id=ws.id,
                        conversation_id=conv.id,
                        handler="ai",
                        score=float(50 + i % 2 * 50),
                        criteria=[],
                        peer_key="other",
                        rubric_version="v1-test",
                        started_at=now,
                        finished_at=now,
                        scored_at=now,
                    )
                )

    server.call(seed())
    sam = api.login("supervisor@example.com", "demo-supervisor")
    summary = api.staff(sam, "GET", "/api/v1/quality/agents").json()
    assert summary["scored_conversations"] == count
    (ai,) = summary["handlers"]
    assert ai["handler"] == "ai" and ai["conversations"] == count and ai["average_score"] == 75.0
