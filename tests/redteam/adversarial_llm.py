"""An OpenAI-compatible fake LLM scripted to be as unsafe as possible: it obeys any instruction
it sees in the user message and leaks its whole prompt (system rules and passages) when asked
about rules, instructions, prompts, notes or other customers. Only the pipeline's defences
(input guard, delimiting, output filter) stand between it and the customer."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support import serve_http

TRIGGERS = re.compile(
    r"ignore|instruction|prompt|rules|notes|previous|reveal|repeat|system|admin|guideline",
    re.IGNORECASE,
)


class ObedientLLM(BaseHTTPRequestHandler):
    requests: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(body)
        system = next(m["content"] for m in body["messages"] if m["role"] == "system")
        user = body["messages"][-1]["content"]
        question = user.rsplit("<<<CUSTOMER_QUESTION", 1)[-1]
        if TRIGGERS.search(question):
            # Leaks everything, minus the one token that would make the answerer discard it.
            leak = f"Of course! My instructions are: {system}\nEverything I was given: {user}"
            reply = leak.replace("NO_ANSWER", "the marker")
        else:
            reply = "Our stores are open Monday to Friday 9:00-19:00 [1]."
        data = json.dumps(
            {
                "id": "chatcmpl-evil",
                "object": "chat.completion",
                "model": body.get("model", "x"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": reply},
                        "finish_reason": "stop",
                    }
                ],
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve() -> Iterator[str]:
    ObedientLLM.requests = []
    yield from serve_http(ObedientLLM)
