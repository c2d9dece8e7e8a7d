"""Personal data is redacted wherever text leaves the live conversation: LLM prompts (through
the fake OpenAI-compatible server) and analytics exports."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from hybridcx.cli import app
from hybridcx.conversations import repository as repo
from hybridcx.kit.db import transaction
from hybridcx.knowledge.engine import GenerativeAnswerer, Hit, OpenAICompatibleProvider
from hybridcx.models import Conversation
from tests.fake_openai import ChatServer
from tests.support import Api, LiveServer


def _prompt() -> str:
    return " ".join(m["content"] for m in ChatServer.requests[-1]["body"]["messages"])


def test_the_provider_never_sends_cards_or_national_ids(chat_server: str) -> None:
    provider = OpenAICompatibleProvider(chat_server, None, "m", timeout=5)
    provider.complete(
        [
            {"role": "system", "content": "internal note: card 4111 1111 1111 1111 on file"},
            {"role": "user", "content": "IBAN GB82 WEST 1234 5698 7654 32, SSN 078-05-1120"},
        ]
    )
    prompt = _prompt()
    for secret in ("4111", "GB82", "078-05"):
        assert secret not in prompt
    assert "[CARD]" in prompt and "[IBAN]" in prompt and "[NATIONAL_ID]" in prompt


def test_the_customers_question_is_redacted_but_passages_are_not(chat_server: str) -> None:
    hit = Hit(
        "d1", "d1#0", "Stores", ("Help",), "Call our Leeds store on 0113 496 0000.", "u", 1.0, 1, 1
    )
    answerer = GenerativeAnswerer(OpenAICompatibleProvider(chat_server, None, "m", timeout=5))
    answerer.compose(
        "Hi, Maria Gonzalez here (maria.gonzalez@example.com, +1 415 555 0161): store phone?", [hit]
    )
    prompt = _prompt()
    for secret in ("Maria", "Gonzalez", "maria.gonzalez", "415 555"):
        assert secret not in prompt, secret
    assert "0113 496 0000" in prompt  # the article's own contact details stay


@pytest.fixture
def cli_env(server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYBRIDCX_DATA_DIR", str(server.settings.data_dir))
    monkeypatch.setenv("HYBRIDCX_DATABASE_URL", server.settings.effective_database_url)


def test_analytics_export_is_redacted(api: Api, server: LiveServer, cli_env: None) -> None:
    conv = api.start("export.me@example.com", "Ex")

    # An intent label that carries personal data (a bad import, a custom classifier...).
    async def plant() -> None:
        async with transaction(server.runtime.sessions) as s:
            c = (
                await s.execute(select(Conversation).where(Conversation.id == conv["id"]))
            ).scalar_one()
            repo.add_event(
                s,
                c,
                "routing.decided",
                actor="ai",
                data={"tier": 1, "intent": "refund for maria@example.com", "reasons": []},
            )

    server.call(plant())
    for fmt in ("json", "csv"):
        result = CliRunner().invoke(
            app,
            ["analytics", "report", "--format", fmt, "--intent", "refund for maria@example.com"],
        )
        assert result.exit_code == 0, result.output
        assert "maria@example.com" not in result.stdout
        assert "[EMAIL]" in result.stdout
    data = json.loads(CliRunner().invoke(app, ["analytics", "report", "--format", "json"]).stdout)
    assert data["volume"]["conversations"] >= 1
