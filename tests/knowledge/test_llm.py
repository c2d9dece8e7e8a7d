from __future__ import annotations

import pytest

from hybridcx.knowledge.engine import (
    GenerativeAnswerer,
    Hit,
    LLMProviderError,
    OpenAICompatibleProvider,
    build_grounded_messages,
)
from hybridcx.knowledge.engine.llm import ChatMessage
from tests.fake_openai import ChatServer as _ChatServer


def _msgs(question: str) -> list[ChatMessage]:
    return [{"role": "user", "content": question}]


def test_client_speaks_chat_completions(chat_server: str) -> None:
    provider = OpenAICompatibleProvider(chat_server, "sk-test", "small-model", timeout=5)
    assert (
        provider.complete(_msgs("reset password?"))
        == "Click 'Forgot password' to get a reset link [1]."
    )
    [request] = _ChatServer.requests
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer sk-test"
    assert request["body"]["model"] == "small-model" and request["body"]["temperature"] == 0.0
    # A base URL that already ends in /v1 is not doubled.
    OpenAICompatibleProvider(chat_server + "/v1/", None, "m").complete(_msgs("again"))
    assert _ChatServer.requests[-1]["path"] == "/v1/chat/completions"
    assert _ChatServer.requests[-1]["auth"] is None


def test_client_turns_server_errors_into_typed_errors(chat_server: str) -> None:
    provider = OpenAICompatibleProvider(chat_server, "k", "m", timeout=5)
    with pytest.raises(LLMProviderError, match="503: model is overloaded"):
        provider.complete(_msgs("overloaded"))
    with pytest.raises(LLMProviderError, match="without choices"):
        provider.complete(_msgs("garbled"))


def test_client_reports_an_unreachable_server() -> None:
    provider = OpenAICompatibleProvider("http://127.0.0.1:9", "k", "m", timeout=2)
    with pytest.raises(LLMProviderError, match="unreachable|timed out"):
        provider.complete(_msgs("hello"))


def _hit(n: int, title: str, text: str) -> Hit:
    return Hit(f"d{n}", f"d{n}#0", title, ("Help",), text, f"https://x/{n}", 1.0, 1, 1)


HITS = [
    _hit(1, "Resetting your password", "Click 'Forgot password' on the sign-in page."),
    _hit(2, "Shipping times", "Standard delivery takes 3 to 5 working days."),
]


def test_grounded_prompt_numbers_passages_and_asks_for_citations() -> None:
    system, user = build_grounded_messages("How do I reset my password?", HITS)
    assert "[1]" in system["content"] and "NO_ANSWER" in system["content"]
    assert "[1] Resetting your password — Help\nClick" in user["content"]
    assert "[2] Shipping times" in user["content"]
    assert user["content"].endswith(
        "Question:\n<<<CUSTOMER_QUESTION\nHow do I reset my password?\nCUSTOMER_QUESTION>>>"
    )


class _Scripted:
    def __init__(self, reply: str | Exception) -> None:
        self.reply = reply

    def complete(self, messages: list[ChatMessage]) -> str:
        if isinstance(self.reply, Exception):
            raise self.reply
        return self.reply


def test_generative_answerer_cites_sources(chat_server: str) -> None:
    provider = OpenAICompatibleProvider(chat_server, "k", "m", timeout=5)
    text, sources = GenerativeAnswerer(provider).compose("reset password?", HITS)  # type: ignore[misc]
    assert "[1]" in text and [s.doc_id for s in sources] == ["d1"]


def test_generative_answerer_declines_and_falls_back() -> None:
    assert GenerativeAnswerer(_Scripted("NO_ANSWER")).compose("q", HITS) is None
    composed = GenerativeAnswerer(_Scripted(LLMProviderError("down"))).compose("q", HITS)
    assert composed is not None and composed[0] == HITS[0].text
