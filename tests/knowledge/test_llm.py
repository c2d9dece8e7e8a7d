from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from hybridcx.knowledge.engine import (
    GenerativeAnswerer,
    Hit,
    LLMProviderError,
    OpenAICompatibleProvider,
    build_grounded_messages,
)
from hybridcx.knowledge.engine.llm import ChatMessage


class _ChatServer(BaseHTTPRequestHandler):
    """Speaks the OpenAI chat-completions wire format; the last user line picks the behaviour."""

    requests: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
        )
        question = body["messages"][-1]["content"]
        if "overloaded" in question:
            self._send(503, {"error": {"message": "model is overloaded", "type": "server_error"}})
        elif "garbled" in question:
            self._send(200, {"id": "x", "object": "chat.completion", "choices": []})
        else:
            reply = "Click 'Forgot password' to get a reset link [1]."
            self._send(
                200,
                {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": reply},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 9, "total_tokens": 19},
                },
            )

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def chat_server() -> Iterator[str]:
    _ChatServer.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ChatServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


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
    assert user["content"].endswith("Question: How do I reset my password?")


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
