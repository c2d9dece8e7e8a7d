"""A local server speaking the OpenAI chat-completions wire format (the machine cannot reach a
hosted LLM): the last user line picks the behaviour."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.support import serve_http


class ChatServer(BaseHTTPRequestHandler):
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
            system = body["messages"][0]["content"]
            if "post-contact summary" in system:
                reply = summary_reply(question)
                if "dawdle" in question:  # slower than the caller waits
                    time.sleep(2.0)
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


def summary_reply(transcript: str) -> str:
    """A post-contact summary the way a model answers: JSON naming the customer's first line.
    Transcripts that say "invent" get a summary with an order number nobody mentioned, and
    "off-list" a category outside the list it was given."""
    lines = [x for x in transcript.splitlines() if x.startswith("Customer: ")]
    first = lines[0].removeprefix("Customer: ") if lines else "nothing"
    summary = f"The customer wrote: {first} The agent helped and nothing is pending."
    category = "Account"
    if "invent" in transcript:
        summary += " A refund of 250 dollars for order 98765 was issued."
    if "off-list" in transcript:
        category = "Intergalactic shipping"
    return "Here you go:\n" + json.dumps({"summary": summary, "category": category})


@pytest.fixture
def chat_server() -> Iterator[str]:
    ChatServer.requests = []
    yield from serve_http(ChatServer)
