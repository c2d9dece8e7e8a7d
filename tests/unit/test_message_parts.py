"""Where one message is split into requests (brain.message_parts) and how a part the AI cannot
read is named back to the customer (steps.multi.unread_note)."""

from __future__ import annotations

import pytest

from hybridcx.brain import message_parts
from hybridcx.pipeline.steps.multi import asks_nothing, unread_note
from hybridcx.pipeline.steps.understand import RequestPart


def test_a_two_word_request_after_and_is_a_part_of_its_own() -> None:
    assert message_parts("where is my order and reset password") == [
        "where is my order",
        "reset password",
    ]
    assert message_parts("Where is my order? Track order") == [
        "Where is my order",
        "Track order",
    ]


def test_a_one_word_courtesy_is_not_a_request() -> None:
    assert message_parts("Thanks. Where is my order?") == ["Where is my order?"]


def test_and_inside_one_request_does_not_split_it() -> None:
    assert message_parts("I bought shoes and socks last week") == [
        "I bought shoes and socks last week"
    ]


def test_the_unread_part_is_quoted_without_its_joiner_and_shortened() -> None:
    note = unread_note([RequestPart("Also, the purple elephant sings.", None, 0.1)])
    assert "\u201cthe purple elephant sings\u201d" in note
    assert '"agent"' in note
    long = unread_note([RequestPart("word " * 40, None, 0.0)])
    quoted = long.split("\u201c")[1].split("\u201d")[0]
    assert len(quoted) <= 80 and quoted.endswith("\u2026")


@pytest.mark.parametrize(
    "clause", ["I need help", "and I need help", "please help me", "Can you help me?", "thanks"]
)
def test_a_clause_that_asks_for_nothing_is_not_an_unread_request(clause: str) -> None:
    # "My order arrived damaged and I need help": the customer is not asked to rephrase
    # "I need help" (tests/channels/test_voice.py's post-call summary relies on it).
    assert asks_nothing(clause)


@pytest.mark.parametrize(
    "clause", ["I need a refund", "help me reset my password", "reset password"]
)
def test_a_clause_with_a_request_is_still_read(clause: str) -> None:
    assert not asks_nothing(clause)
