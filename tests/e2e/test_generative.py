"""With an LLM configured, customers get a generated answer grounded in (and citing) knowledge.
The LLM is a local server speaking the OpenAI wire format (tests/fake_openai.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_openai import ChatServer
from tests.support import Api, LiveServer, reset_database, settings_for


@pytest.fixture
def llm_api(tmp_path: Path, chat_server: str, nlu_model_dir: Path) -> Iterator[Api]:
    settings = settings_for(
        "sqlite",
        tmp_path,
        nlu_model_dir=nlu_model_dir,
        llm_base_url=chat_server,
        llm_api_key="sk-test",
    )
    live = LiveServer(settings).start()
    live.call(reset_database(live.runtime.sessions))
    client = Api(live.url, live.ws_url)
    try:
        yield client
    finally:
        client.close()
        live.stop()


def test_generated_answer_cites_the_passages_it_was_given(llm_api: Api) -> None:
    conv = llm_api.start()
    body = llm_api.say(conv, "Do you accept PayPal?").json()
    ai = [m["text"] for m in body["messages"] if m["author"] == "ai"][0]
    assert "Click 'Forgot password' to get a reset link [1]." in ai  # what the fake LLM says
    assert "Source: Payment methods" in ai
    request = ChatServer.requests[-1]
    assert request["auth"] == "Bearer sk-test" and request["path"] == "/v1/chat/completions"
    prompt = " ".join(m["content"] for m in request["body"]["messages"])
    assert "PayPal" in prompt and "[1]" in prompt  # the retrieved passage, numbered
    assert (
        "Refund authority" not in prompt
    )  # internal articles never reach a customer-facing prompt
