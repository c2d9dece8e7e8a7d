"""Post-contact summaries by an LLM (a local server speaking the OpenAI wire format,
tests/fake_openai.py): personal data redacted before it leaves, the transcript as delimited
data, a category from the list, length-limited, and the extractive summary whenever the model
fails, is too slow or says what the transcript does not."""

from __future__ import annotations

import asyncio

import pytest

from hybridcx.assist.llm_summary import LLMSummaryWriter, post_contact_summary
from hybridcx.assist.summary import category_names, summarize_conversation
from hybridcx.knowledge.engine.openai_compat import OpenAICompatibleProvider
from hybridcx.pipeline.base import TranscriptLine
from hybridcx.pipeline.policy import load_policy
from tests.fake_openai import ChatServer

# The demo company's categories (the packaged default policy's).
DEMO_CATEGORIES = load_policy(None).intent_categories
CATEGORIES = category_names(DEMO_CATEGORIES)

TRANSCRIPT = [
    TranscriptLine(
        "customer",  # type: ignore[arg-type]
        "I can't sign in. I am Alex Morgan, my email is alex.morgan@example.com",
    ),
    TranscriptLine("customer", "call me on +1 415 555 0134"),  # type: ignore[arg-type]
    TranscriptLine("agent", "I've sent you a reset link."),  # type: ignore[arg-type]
]


def write(
    url: str,
    transcript: list[TranscriptLine] = TRANSCRIPT,
    *,
    timeout: float = 5.0,
    max_chars: int = 700,
) -> tuple[str, str, str]:
    writer = LLMSummaryWriter(
        OpenAICompatibleProvider(url, "sk-test", "small-model"),
        timeout_seconds=timeout,
        max_chars=max_chars,
    )
    s = asyncio.run(
        writer.write(
            transcript,
            customer_name="Alex Morgan",
            intent="password_reset",
            reasons=[],
            resolved=True,
            categories=DEMO_CATEGORIES,
        )
    )
    return s.text, s.category, s.source


def extractive(transcript: list[TranscriptLine]) -> str:
    return summarize_conversation(
        transcript,
        customer_name="Alex Morgan",
        intent="password_reset",
        reasons=[],
        resolved=True,
        categories=DEMO_CATEGORIES,
    ).text


def test_the_model_writes_the_summary_and_picks_the_category_from_redacted_text(
    chat_server: str,
) -> None:
    text, category, source = write(chat_server)
    assert source == "llm" and category == "Account" and category in CATEGORIES
    assert text.startswith("The customer wrote: I can't sign in. I am [NAME], my email is [EMAIL]")
    [request] = ChatServer.requests
    system, user = request["body"]["messages"]
    assert request["auth"] == "Bearer sk-test"
    # what left: the list of categories to choose from, the transcript as marked data, no PII
    assert all(c in system["content"] for c in CATEGORIES)
    assert user["content"].startswith("<<<TRANSCRIPT\nCustomer: I can't sign in")
    assert "Agent: I've sent you a reset link." in user["content"]
    sent = str(request["body"])
    assert "alex.morgan@example.com" not in sent and "555 0134" not in sent
    assert "Alex" not in sent and "Morgan" not in sent


def test_the_summary_is_cut_to_the_limit(chat_server: str) -> None:
    text, _, source = write(chat_server, max_chars=40)
    assert source == "llm" and len(text) <= 40 and text.endswith("…")


@pytest.mark.parametrize(
    "said",
    [
        "the server is overloaded",  # 503
        "a garbled answer",  # no choices
        "please invent something",  # an order number the transcript never had
        "an off-list category",  # not one of the categories
        "dawdle please",  # slower than the timeout
    ],
)
def test_the_extractive_summary_is_the_fallback(chat_server: str, said: str) -> None:
    transcript = [TranscriptLine("customer", f"My account is locked, {said}")]  # type: ignore[arg-type]
    text, category, source = write(chat_server, transcript, timeout=0.5)
    assert source == "extractive" and category == "Account"
    assert text == extractive(transcript)
    assert len(ChatServer.requests) == 1  # it did ask


def test_without_a_model_the_summary_is_extractive() -> None:
    s = asyncio.run(
        post_contact_summary(
            None, TRANSCRIPT, customer_name="Alex Morgan", intent=None, reasons=[], resolved=True
        )
    )
    assert (
        s.source == "extractive"
        and s.text
        == summarize_conversation(
            TRANSCRIPT, customer_name="Alex Morgan", intent=None, reasons=[], resolved=True
        ).text
    )
